// Hermes Agent (Nous Research): a named custom provider whose api_mode picks the route family.
import { lines, quoted, v1Base } from "./text.ts";
import type { ClientTemplate } from "./types.ts";

export const hermes: ClientTemplate = {
  id: "hermes",
  name: "Hermes Agent",
  routes: ["responses", "chat"],
  configFile: "~/.hermes/config.yaml",
  doc: "docs/clients/hermes.md",
  render(input) {
    return [
      {
        path: "~/.hermes/config.yaml",
        kind: "file",
        format: "yaml",
        content: lines(
          "model:",
          "  provider: custom:codex-pooler",
          `  default: ${quoted(input.model)}`,
          "custom_providers:",
          "  - name: codex-pooler",
          `    base_url: ${quoted(v1Base(input))}`,
          "    # The environment variable (or ~/.hermes/.env entry) that holds the Pool API key.",
          `    key_env: ${input.keyEnv}`,
          `    api_mode: ${input.route === "chat" ? "chat_completions" : "codex_responses"}`,
        ),
        note: `Merge into an existing config.yaml. Hermes reads $${input.keyEnv} from the environment or ~/.hermes/.env.`,
      },
    ];
  },
};

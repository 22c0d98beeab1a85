// Continue (IDE extensions and the `cn` CLI): an `openai` model with a custom apiBase.
import { lines, quoted, v1Base } from "./text.ts";
import type { ClientTemplate } from "./types.ts";

export const continueDev: ClientTemplate = {
  id: "continue",
  name: "Continue",
  routes: ["responses", "chat"],
  configFile: "~/.continue/config.yaml",
  doc: "docs/clients/continue.md",
  render(input) {
    return [
      {
        path: "~/.continue/config.yaml",
        kind: "file",
        format: "yaml",
        content: lines(
          "name: Codex Pooler",
          "version: 1.0.0",
          "schema: v1",
          "models:",
          `  - name: ${quoted(`${input.model} (Codex Pooler)`)}`,
          "    provider: openai",
          `    model: ${quoted(input.model)}`,
          `    apiBase: ${quoted(v1Base(input))}`,
          `    apiKey: \${{ secrets.${input.keyEnv} }}`,
          ...(input.route === "chat"
            ? [
                "    # Asks for Chat Completions; the cn CLI (1.5.47) still sends gpt-5* and o* models to /v1/responses.",
                "    useResponsesApi: false",
              ]
            : []),
          "    roles: [chat, edit, apply]",
          "    capabilities: [tool_use]",
        ),
        note: `Continue resolves \${{ secrets.${input.keyEnv} }} from ~/.continue/.env or the environment. Continue picks the route by model name: gpt-5* models use /v1/responses.`,
      },
      {
        path: "~/.continue/.env",
        kind: "file",
        format: "env",
        content: lines(`${input.keyEnv}=<your Pool API key>`),
        note: "Optional: only if the variable is not already in Continue's environment. Keep this file private (chmod 600).",
      },
    ];
  },
};

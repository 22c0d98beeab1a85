// Goose: the built-in `openai` provider with a custom host and the chat completions path.
import { lines, quoted } from "./text.ts";
import type { ClientTemplate } from "./types.ts";

export const goose: ClientTemplate = {
  id: "goose",
  name: "Goose",
  routes: ["chat"],
  configFile: "~/.config/goose/config.yaml",
  doc: "docs/clients/goose.md",
  render(input) {
    return [
      {
        path: "~/.config/goose/config.yaml",
        kind: "file",
        format: "yaml",
        content: lines(
          "# Codex Pooler as Goose's OpenAI provider. Goose joins OPENAI_HOST and OPENAI_BASE_PATH.",
          "GOOSE_PROVIDER: openai",
          `GOOSE_MODEL: ${quoted(input.model)}`,
          `OPENAI_HOST: ${quoted(input.url)}`,
          "OPENAI_BASE_PATH: v1/chat/completions",
        ),
        note: "Merge these keys into an existing config.yaml. The key is read from OPENAI_API_KEY (environment variables win over the keyring).",
      },
      {
        path: "shell",
        kind: "snippet",
        format: "shell",
        content: lines(`export OPENAI_API_KEY="$${input.keyEnv}"`, 'goose run --text "Say hi"'),
        note: "Keep the Pool API key in the environment rather than in Goose's keyring or secrets.yaml.",
      },
    ];
  },
};

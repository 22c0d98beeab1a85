// Aider (LiteLLM underneath): the `openai/` model prefix sends OpenAI Chat Completions to `…/v1`.
import { lines, quoted, v1Base } from "./text.ts";
import type { ClientTemplate } from "./types.ts";

export const aider: ClientTemplate = {
  id: "aider",
  name: "Aider",
  routes: ["chat"],
  configFile: "~/.aider.conf.yml",
  doc: "docs/clients/aider.md",
  render(input) {
    return [
      {
        path: "~/.aider.conf.yml",
        kind: "file",
        format: "yaml",
        content: lines(
          "# Codex Pooler through LiteLLM's OpenAI-compatible provider (the openai/ prefix).",
          `model: ${quoted(`openai/${input.model}`)}`,
          `openai-api-base: ${quoted(v1Base(input))}`,
          "# The key comes from OPENAI_API_KEY in the environment; do not add openai-api-key here.",
        ),
        note: "Aider also reads .aider.conf.yml from the git root and the current directory; the later ones win.",
      },
      {
        path: "shell",
        kind: "snippet",
        format: "shell",
        content: lines(`export OPENAI_API_KEY="$${input.keyEnv}"`, "aider"),
        note: "Aider (LiteLLM) reads the key from OPENAI_API_KEY.",
      },
    ];
  },
};

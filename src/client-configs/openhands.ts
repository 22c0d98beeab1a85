// OpenHands (LiteLLM underneath): environment variables, applied with --override-with-envs.
import { lines, quoted, v1Base } from "./text.ts";
import type { ClientTemplate } from "./types.ts";

export const openhands: ClientTemplate = {
  id: "openhands",
  name: "OpenHands",
  routes: ["chat"],
  configFile: "environment (LLM_MODEL, LLM_BASE_URL, LLM_API_KEY)",
  doc: "docs/clients/openhands.md",
  render(input) {
    return [
      {
        path: "shell",
        kind: "snippet",
        format: "shell",
        content: lines(
          "# Codex Pooler through LiteLLM's OpenAI-compatible provider (the openai/ prefix).",
          `export LLM_MODEL=${quoted(`openai/${input.model}`)}`,
          `export LLM_BASE_URL=${quoted(v1Base(input))}`,
          `export LLM_API_KEY="$${input.keyEnv}"`,
          "openhands --override-with-envs",
        ),
        note: "--override-with-envs makes the LLM_* variables win over the settings OpenHands saved earlier.",
      },
    ];
  },
};

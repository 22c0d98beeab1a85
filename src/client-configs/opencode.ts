// OpenCode and Kilo Code share one config schema: a custom provider backed by an AI SDK package.
import { json, v1Base } from "./text.ts";
import type { ClientTemplate, RenderInput } from "./types.ts";

/** `@ai-sdk/openai-compatible` speaks chat completions; `@ai-sdk/openai` speaks the Responses API. */
export function aiSdkProviderConfig(input: RenderInput, extra: Record<string, unknown> = {}): unknown {
  const model = `codex-pooler/${input.model}`;
  return {
    ...extra,
    provider: {
      "codex-pooler": {
        npm: input.route === "responses" ? "@ai-sdk/openai" : "@ai-sdk/openai-compatible",
        name: "Codex Pooler",
        options: { baseURL: v1Base(input), apiKey: `{env:${input.keyEnv}}` },
        models: { [input.model]: { name: `${input.model} (Codex Pooler)` } },
      },
    },
    model,
    small_model: model,
  };
}

export const opencode: ClientTemplate = {
  id: "opencode",
  name: "OpenCode",
  routes: ["chat", "responses"],
  configFile: "~/.config/opencode/opencode.json",
  doc: "docs/clients/opencode.md",
  render(input) {
    return [
      {
        path: "~/.config/opencode/opencode.json",
        kind: "file",
        format: "json",
        content: json(aiSdkProviderConfig(input, { $schema: "https://opencode.ai/config.json" })),
        note: `OpenCode reads the key from $${input.keyEnv} ({env:…}). A project's opencode.json can hold the same provider block.`,
      },
    ];
  },
};

// OpenClaw: a custom model provider in openclaw.json (JSON5 is accepted; this is plain JSON).
import { json, v1Base } from "./text.ts";
import type { ClientTemplate } from "./types.ts";

export const openclaw: ClientTemplate = {
  id: "openclaw",
  name: "OpenClaw",
  routes: ["responses", "chat"],
  configFile: "~/.openclaw/openclaw.json",
  doc: "docs/clients/openclaw.md",
  render(input) {
    return [
      {
        path: "~/.openclaw/openclaw.json",
        kind: "file",
        format: "json",
        content: json({
          models: {
            mode: "merge",
            providers: {
              "codex-pooler": {
                baseUrl: v1Base(input),
                // OpenClaw substitutes ${VAR} from the environment when it loads the config.
                apiKey: `\${${input.keyEnv}}`,
                api: input.route === "chat" ? "openai-completions" : "openai-responses",
                timeoutSeconds: 300,
                models: [
                  { id: input.model, name: `${input.model} (Codex Pooler)`, input: ["text", "image"] },
                ],
              },
            },
          },
          agents: { defaults: { model: { primary: `codex-pooler/${input.model}` } } },
        }),
        note: `OpenClaw reads \${${input.keyEnv}} from the environment at load time. Merge into an existing openclaw.json.`,
      },
    ];
  },
};

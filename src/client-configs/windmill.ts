// Windmill: not a model client itself; its AI features use a `customai` resource on the server.
import { json, v1Base } from "./text.ts";
import type { ClientTemplate } from "./types.ts";

export const windmill: ClientTemplate = {
  id: "windmill",
  name: "Windmill AI",
  routes: ["chat"],
  configFile: "a customai resource (workspace settings → AI)",
  doc: "docs/clients/windmill.md",
  render(input) {
    const variable = `u/admin/${input.keyEnv.toLowerCase()}`;
    return [
      {
        path: "codex-pooler.customai.resource.json",
        kind: "file",
        format: "json",
        content: json({ base_url: v1Base(input), api_key: `$var:${variable}` }),
        note: `Value of a resource of type customai. Store the Pool API key as a secret variable at ${variable} first; then pick the resource and model ${input.model} under workspace settings → AI.`,
      },
    ];
  },
};

// Kilo Code CLI: OpenCode's schema in ~/.config/kilo/kilo.jsonc.
import { aiSdkProviderConfig } from "./opencode.ts";
import { json } from "./text.ts";
import type { ClientTemplate } from "./types.ts";

export const kilo: ClientTemplate = {
  id: "kilo",
  name: "Kilo Code",
  routes: ["chat", "responses"],
  configFile: "~/.config/kilo/kilo.jsonc",
  doc: "docs/clients/kilo.md",
  render(input) {
    return [
      {
        path: "~/.config/kilo/kilo.jsonc",
        kind: "file",
        format: "jsonc",
        content: `// Codex Pooler for the Kilo Code CLI; the key comes from $${input.keyEnv}.\n${json(aiSdkProviderConfig(input))}`,
        note: "Merge into an existing kilo.jsonc if you have one; Kilo appends /chat/completions (or /responses) to baseURL.",
      },
    ];
  },
};

// Cline CLI: configured with `cline auth`, which stores the provider, model and key in ~/.cline.
import { lines, quoted, v1Base } from "./text.ts";
import type { ClientTemplate } from "./types.ts";

export const cline: ClientTemplate = {
  id: "cline",
  name: "Cline",
  routes: ["chat", "responses"],
  configFile: "~/.cline (written by `cline auth`)",
  doc: "docs/clients/cline.md",
  render(input) {
    // "openai" is Cline's OpenAI Compatible provider (chat completions); "openai-native" with a
    // base URL speaks the Responses API.
    const provider = input.route === "responses" ? "openai-native" : "openai";
    return [
      {
        path: "shell",
        kind: "snippet",
        format: "shell",
        content: lines(
          `cline auth --provider ${provider} \\`,
          `  --apikey "$${input.keyEnv}" \\`,
          `  --baseurl ${quoted(v1Base(input))} \\`,
          `  --modelid ${quoted(input.model)}`,
          `cline -P ${provider} -m ${quoted(input.model)} "Say hi"`,
        ),
        note: `cline auth saves the key in Cline's own config directory (~/.cline by default). In the VS Code extension pick API Provider "${input.route === "responses" ? "OpenAI" : "OpenAI Compatible"}" with the same base URL, key and model.`,
      },
    ];
  },
};

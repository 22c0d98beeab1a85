// OpenAI-compatible SDKs (the official Python and Node SDKs; the original product's docs call this
// page `openai-compatible`, earlier releases here `openai-sdk`, kept as an alias): base URL `…/v1`,
// key read from the environment at run time.
import { lines, quoted, v1Base } from "./text.ts";
import type { ClientTemplate, RenderInput } from "./types.ts";

function python(input: RenderInput): string {
  const call =
    input.route === "chat"
      ? [
          "completion = client.chat.completions.create(",
          `    model=${quoted(input.model)},`,
          '    messages=[{"role": "user", "content": "Say hi"}],',
          ")",
          "print(completion.choices[0].message.content)",
        ]
      : [
          `response = client.responses.create(model=${quoted(input.model)}, input="Say hi")`,
          "print(response.output_text)",
        ];
  return lines(
    "import os",
    "",
    "from openai import OpenAI",
    "",
    "client = OpenAI(",
    `    base_url=${quoted(v1Base(input))},`,
    `    api_key=os.environ[${quoted(input.keyEnv)}],`,
    "    # Relayed error codes are open strings; strict validation would reject some of them.",
    "    _strict_response_validation=False,",
    ")",
    ...call,
  );
}

function node(input: RenderInput): string {
  const call =
    input.route === "chat"
      ? [
          "const completion = await client.chat.completions.create({",
          `  model: ${quoted(input.model)},`,
          '  messages: [{ role: "user", content: "Say hi" }],',
          "});",
          "console.log(completion.choices[0]?.message.content);",
        ]
      : [
          `const response = await client.responses.create({ model: ${quoted(input.model)}, input: "Say hi" });`,
          "console.log(response.output_text);",
        ];
  return lines(
    'import OpenAI from "openai";',
    "",
    "const client = new OpenAI({",
    `  baseURL: ${quoted(v1Base(input))},`,
    `  apiKey: process.env[${quoted(input.keyEnv)}],`,
    "});",
    ...call,
  );
}

export const openaiCompatible: ClientTemplate = {
  id: "openai-compatible",
  aliases: ["openai-sdk"],
  name: "OpenAI-compatible SDKs (Python, Node)",
  routes: ["responses", "chat"],
  configFile: "none (base_url / baseURL in code, or OPENAI_BASE_URL)",
  doc: "docs/clients/openai-compatible.md",
  render(input) {
    return [
      {
        path: "codex_pooler_example.py",
        kind: "file",
        format: "python",
        content: python(input),
        note: "pip install openai; run with the Pool API key in the environment.",
      },
      {
        path: "codex-pooler-example.mjs",
        kind: "file",
        format: "javascript",
        content: node(input),
        note: "npm install openai; run with node and the Pool API key in the environment.",
      },
      {
        path: "shell",
        kind: "snippet",
        format: "shell",
        content: lines(
          "# Or configure an unmodified program through the variables both SDKs read:",
          `export OPENAI_BASE_URL=${quoted(v1Base(input))}`,
          `export OPENAI_API_KEY="$${input.keyEnv}"`,
        ),
        note: "OPENAI_BASE_URL and OPENAI_API_KEY are read by both SDKs when the code passes no base URL or key.",
      },
    ];
  },
};

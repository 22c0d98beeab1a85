// The Vercel AI SDK OpenAI provider (what OpenCode and Kilo use) against the running gateway:
// streamText with chat and responses models completes, and an interrupted upstream stream is
// classified as an error rather than a short but "finished" answer.
import { createOpenAI } from "@ai-sdk/openai";
import { jsonSchema, streamText, tool } from "ai";
import { beforeAll, describe, expect, it } from "vitest";
import { NO_KEEPALIVE, useTestGateway } from "./helpers/gateway.ts";

const { gw, seeded } = useTestGateway({ env: NO_KEEPALIVE, seed: { accounts: 1 } });
let provider: ReturnType<typeof createOpenAI>;
beforeAll(() => {
  provider = createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: seeded.key });
});

const account = () => seeded.accounts[0]!.accountId;

const models = () =>
  [
    ["chat", provider.chat("gpt-5.5"), {}],
    // OpenCode and Kilo run the responses model with store:false (stateless replay).
    ["responses", provider.responses("gpt-5.5"), { openai: { store: false } }],
  ] as const;

async function run(model: ReturnType<typeof models>[number]) {
  const [, languageModel, providerOptions] = model;
  const errors: unknown[] = [];
  const result = streamText({
    model: languageModel,
    system: "Be brief.",
    prompt: "Say hi",
    providerOptions,
    maxRetries: 0,
    onError: ({ error }) => {
      errors.push(error);
    },
  });
  const parts: string[] = [];
  let text = "";
  for await (const part of result.fullStream) {
    parts.push(part.type);
    if (part.type === "text-delta") text += part.text;
  }
  return { parts, text, errors, finishReason: await result.finishReason };
}

describe.each(["chat", "responses"] as const)("streamText with the %s model", (kind) => {
  const model = () => models().find(([k]) => k === kind)!;

  it("completes with the upstream's text and a stop finish", async () => {
    const { parts, text, errors, finishReason } = await run(model());
    expect(errors).toEqual([]);
    expect(text).toBe("Hello from fake upstream.");
    expect(finishReason).toBe("stop");
    expect(parts.at(-1)).toBe("finish");
  });

  it("classifies an interrupted upstream stream as an error", async () => {
    gw.fake.enqueue(account(), { kind: "drop_mid_stream" });
    const { parts, text, errors, finishReason } = await run(model());
    expect(text).toBe("Hello from a stream that will drop");
    expect(parts).toContain("error");
    expect(errors).toHaveLength(1);
    expect(finishReason).toBe("error");
  });
});

describe("tool calls through the AI SDK", () => {
  it.each(["chat", "responses"] as const)(
    "the %s model reports the call and finishes with tool-calls",
    async (kind) => {
      const languageModel = kind === "chat" ? provider.chat("gpt-5.5") : provider.responses("gpt-5.5");
      const result = streamText({
        model: languageModel,
        prompt: "RUN_TOOL",
        providerOptions: kind === "responses" ? { openai: { store: false } } : {},
        maxRetries: 0,
        tools: {
          exec_command: tool({
            description: "Run a shell command",
            inputSchema: jsonSchema<{ cmd: string }>({
              type: "object",
              properties: { cmd: { type: "string" } },
              required: ["cmd"],
              additionalProperties: false,
            }),
          }),
        },
      });
      const calls: { toolName: string; input: unknown }[] = [];
      for await (const part of result.fullStream) {
        if (part.type === "tool-call") calls.push({ toolName: part.toolName, input: part.input });
      }
      expect(calls).toEqual([{ toolName: "exec_command", input: { cmd: "echo hi" } }]);
      expect(await result.finishReason).toBe("tool-calls");
    },
  );
});

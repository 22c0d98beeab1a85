// The /v1 routes' translated body (the relay's parsed events, translated) as a state machine, without
// a network: scripted upstream chunks in,
// the chat chunks out. What one upstream read brought goes out as one chunk (the host writes each
// chunk it pulls in a write of its own), and nothing is read from the upstream before the client asks.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chatChunkTranslator } from "../src/core/openai/chat-stream.ts";
import { translated } from "../src/core/openai/sse-events.ts";
import type { ChunkReader } from "../src/core/relay/chunk-source.ts";
import { type RelayEventReader, relaySseEvents, type StreamSummary } from "../src/core/relay/sse-relay.ts";

const encoder = new TextEncoder();
const ev = (type: string, extra: Record<string, unknown> = {}) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...extra })}\n\n`;
const CREATED = ev("response.created", { response: { id: "resp_1", created_at: 1, model: "m" } });
const delta = (text: string) => ev("response.output_text.delta", { item_id: "msg_1", delta: text });
const COMPLETED = ev("response.completed", { response: { id: "resp_1", output: [] } });

/** Answers each read with the next chunk, counting the reads. */
function scripted(chunks: string[]): ChunkReader & { reads: number } {
  return {
    reads: 0,
    read() {
      const chunk = chunks[this.reads++];
      return Promise.resolve(
        chunk === undefined
          ? { done: true, value: undefined }
          : { done: false, value: encoder.encode(chunk) },
      );
    },
    cancel: () => Promise.resolve(),
  };
}

const relayOptions = (summaries: StreamSummary[] = []) => ({
  maxEventBytes: 1 << 20,
  now: () => 0,
  keepAliveMs: 0,
  abortUpstream: () => undefined,
  onDone: (summary: StreamSummary) => summaries.push(summary),
});

const chatBody = (reader: ChunkReader, events: RelayEventReader = relaySseEvents(reader, relayOptions())) =>
  translated(events, chatChunkTranslator({ model: "m", includeUsage: false, now: () => 0 }));

const dataLines = (chunk: Uint8Array | undefined) =>
  new TextDecoder()
    .decode(chunk)
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => block.slice(6));

describe("translated", () => {
  it("hands out the events of one upstream read as one chunk, without reading further", async () => {
    const reader = scripted([CREATED + delta("a") + delta("b") + delta("c"), delta("d"), COMPLETED]);
    const body = chatBody(reader);
    const first = await body.pull();
    expect(reader.reads).toBe(1);
    const lines = dataLines(first).map((line) => JSON.parse(line).choices[0].delta);
    expect(lines).toEqual([{ role: "assistant" }, { content: "a" }, { content: "b" }, { content: "c" }]);

    expect(dataLines(await body.pull()).map((line) => JSON.parse(line).choices[0].delta)).toEqual([
      { content: "d" },
    ]);
    expect(reader.reads).toBe(2);
    const last = dataLines(await body.pull());
    expect(JSON.parse(last[0] as string).choices[0].finish_reason).toBe("stop");
    expect(last[1]).toBe("[DONE]");
    expect(await body.pull()).toBeUndefined();
  });

  it("writes the same bytes whatever the upstream's cuts", async () => {
    const whole = CREATED + delta("héllo") + delta(" wörld") + COMPLETED;
    const read = async (chunks: string[]) => {
      const body = chatBody(scripted(chunks));
      const parts: Uint8Array[] = [];
      for (let chunk = await body.pull(); chunk; chunk = await body.pull()) parts.push(chunk);
      // The chunk ids are random per stream: compare the deltas and the ending.
      return dataLines(Buffer.concat(parts)).map((line) =>
        line === "[DONE]" ? line : JSON.stringify(JSON.parse(line).choices),
      );
    };
    const expected = await read([whole]);
    expect(expected.length).toBe(5);
    for (const cut of [1, 7, 40, 120, whole.length - 3]) {
      expect(await read([whole.slice(0, cut), whole.slice(cut)])).toEqual(expected);
    }
    expect(await read(whole.split(/(?<=\n\n)/))).toEqual(expected);
  });

  it("writes each chunk as JSON.stringify would, with the id, time and model of response.created", async () => {
    const reader = scripted([CREATED + delta('a"b\n') + COMPLETED]);
    const body = chatBody(reader);
    const parts: Uint8Array[] = [];
    for (let chunk = await body.pull(); chunk; chunk = await body.pull()) parts.push(chunk);
    const lines = dataLines(Buffer.concat(parts)).filter((line) => line !== "[DONE]");
    expect(lines.length).toBe(3);
    for (const line of lines) {
      const chunk = JSON.parse(line);
      expect(JSON.stringify(chunk)).toBe(line);
      expect(Object.keys(chunk)).toEqual(["id", "object", "created", "model", "choices"]);
      expect([chunk.id, chunk.created, chunk.model]).toEqual(["resp_1", 1, "m"]);
    }
    expect(JSON.parse(lines[1] as string).choices).toEqual([
      { index: 0, delta: { content: 'a"b\n' }, finish_reason: null },
    ]);
  });

  it("writes every kind of chunk as JSON.stringify would, whatever the text", async () => {
    const text = fc.string({ unit: "binary", maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(text, text, text, text, async (reasoning, answer, refusal, args) => {
        const item = { id: "fc_1", type: "function_call", name: "run", call_id: "call_9", arguments: "" };
        const reader = scripted([
          CREATED,
          ev("response.reasoning_summary_text.delta", { item_id: "rs_1", delta: reasoning }),
          delta(answer),
          ev("response.refusal.delta", { item_id: "msg_1", delta: refusal }),
          ev("response.output_item.added", { item }),
          ev("response.function_call_arguments.delta", { item_id: "fc_1", delta: args }),
          ev("response.output_item.done", {
            item: { id: "msg_1", type: "message", content: [{ type: "output_text", text: `${answer}!` }] },
          }),
          ev("response.completed", {
            response: { id: "resp_1", output: [], usage: { input_tokens: 3, output_tokens: 2 } },
          }),
        ]);
        const body = translated(
          relaySseEvents(reader, relayOptions()),
          chatChunkTranslator({ model: "m", includeUsage: true, now: () => 0 }),
        );
        const parts: Uint8Array[] = [];
        for (let chunk = await body.pull(); chunk; chunk = await body.pull()) parts.push(chunk);
        const lines = dataLines(Buffer.concat(parts));
        expect(lines.at(-1)).toBe("[DONE]");
        const chunks = lines.slice(0, -1).map((line) => {
          const chunk = JSON.parse(line);
          expect(JSON.stringify(chunk)).toBe(line);
          return chunk;
        });
        const deltas = chunks.flatMap((chunk) => chunk.choices.map((c: { delta: unknown }) => c.delta));
        const expected: unknown[] = [{ role: "assistant" }];
        expected.push({ reasoning_content: reasoning });
        if (answer) expected.push({ content: answer });
        expected.push({ refusal });
        expected.push({
          tool_calls: [
            { index: 0, id: "call_9", type: "function", function: { name: "run", arguments: "" } },
          ],
        });
        if (args) expected.push({ tool_calls: [{ index: 0, function: { arguments: args } }] });
        expected.push({ content: "!" }, {});
        expect(deltas).toEqual(expected);
        expect(chunks.at(-2).choices[0].finish_reason).toBe("tool_calls");
        expect(chunks.at(-1).usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 2 });
      }),
      { numRuns: 200 },
    );
  });

  it("ends with one error chunk when an upstream event grows past the cap, and logs why", async () => {
    const summaries: StreamSummary[] = [];
    const reader = scripted([
      CREATED + delta("a"),
      `data: {"type":"response.output_text.delta","delta":"${"x".repeat(300)}`,
    ]);
    const events = relaySseEvents(reader, { ...relayOptions(summaries), maxEventBytes: 200 });
    const body = chatBody(reader, events);
    const parts: Uint8Array[] = [];
    for (let chunk = await body.pull(); chunk; chunk = await body.pull()) parts.push(chunk);
    const lines = dataLines(Buffer.concat(parts));
    expect(lines.includes("[DONE]")).toBe(false);
    expect(JSON.parse(lines.at(-1) as string).error.code).toBe("upstream_response_too_large");
    expect(summaries.map((s) => [s.outcome, s.errorCode])).toEqual([
      ["interrupted", "upstream_event_too_large"],
    ]);
  });

  it("stops a collected answer past its total cap and lets the upstream go", async () => {
    const summaries: StreamSummary[] = [];
    let cancelled = 0;
    const reader = {
      ...scripted([CREATED, delta("a".repeat(100)), delta("b"), COMPLETED]),
      cancel: async () => void cancelled++,
    };
    const events = relaySseEvents(reader, { ...relayOptions(summaries), maxTotalBytes: CREATED.length + 50 });
    const types: string[] = [];
    for (let r = await events.read(); !r.done; r = await events.read()) types.push(r.value.type);
    expect(types).toEqual(["response.created", "response.output_text.delta", "gateway.oversize_event"]);
    expect(cancelled).toBe(1);
    expect(summaries.map((s) => s.outcome)).toEqual(["client_closed"]);
  });
});

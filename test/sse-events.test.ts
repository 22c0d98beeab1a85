// The /v1 routes' translated body as a state machine, without a network: scripted upstream chunks in,
// the chat chunks out. What one upstream read brought goes out as one chunk (the host writes each
// chunk it pulls in a write of its own), and nothing is read from the upstream before the client asks.
import { describe, expect, it } from "vitest";
import { chatChunkTranslator } from "../src/core/openai/chat-stream.ts";
import { sseEvents, translated } from "../src/core/openai/sse-events.ts";
import type { ChunkReader } from "../src/core/relay/chunk-source.ts";

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

const chatBody = (reader: ChunkReader) =>
  translated(
    sseEvents(reader, { maxEventBytes: 1 << 20 }),
    chatChunkTranslator({ model: "m", includeUsage: false, now: () => 0 }),
  );

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
});

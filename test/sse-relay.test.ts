// The SSE relay as a state machine, without a network: scripted upstream chunks in, the client's
// bytes and the stream's summary out. Bytes pass through unchanged; every ending the upstream can
// cause is a well-formed terminal event (never a silent cut); the client leaving aborts the upstream.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ChunkReader } from "../src/core/relay/chunk-source.ts";
import { RelayStop, relaySse, type StreamSummary } from "../src/core/relay/sse-relay.ts";
import { sseMessages } from "./helpers/sse.ts";

const encoder = new TextEncoder();
const ev = (type: string, extra: Record<string, unknown> = {}) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...extra })}\n\n`;
const CREATED = ev("response.created", { response: { id: "resp_1" } });
const DELTA = ev("response.output_text.delta", { delta: "héllo" });
const COMPLETED = ev("response.completed", {
  response: { id: "resp_1", usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 } },
});

type Step = string | "throw" | "hang";

/** Answers each read with the next step: bytes, a failed read, or no answer at all. */
function scripted(steps: Step[]): ChunkReader & { cancelled: boolean } {
  let at = 0;
  return {
    cancelled: false,
    read() {
      const step = steps[at++];
      if (step === undefined) return Promise.resolve({ done: true, value: undefined });
      if (step === "throw") return Promise.reject(new Error("socket reset"));
      if (step === "hang") return new Promise(() => undefined);
      return Promise.resolve({ done: false, value: encoder.encode(step) });
    },
    cancel() {
      this.cancelled = true;
      return Promise.resolve();
    },
  };
}

async function drain(
  steps: Step[],
  options: { keepAliveMs?: number; idleTimeoutMs?: number; maxEventBytes?: number; prefix?: string } = {},
) {
  const reader = scripted(steps);
  let summary: StreamSummary | undefined;
  let aborted = 0;
  const source = relaySse(reader, {
    prefix: options.prefix ? [encoder.encode(options.prefix)] : undefined,
    now: () => 1_000,
    keepAliveMs: options.keepAliveMs ?? 0,
    idleTimeoutMs: options.idleTimeoutMs,
    maxEventBytes: options.maxEventBytes,
    abortUpstream: () => aborted++,
    onDone: (s) => {
      summary = s;
    },
  });
  const parts: Uint8Array[] = [];
  for (let chunk = await source.pull(); chunk; chunk = await source.pull()) parts.push(chunk);
  const text = Buffer.concat(parts).toString("utf8");
  return { text, events: sseMessages(text), summary: summary as StreamSummary, aborted, reader };
}

const lastType = (events: { event?: string }[]) => events.at(-1)?.event;

describe("the relay's endings", () => {
  it("passes a whole turn through byte for byte and sums it up", async () => {
    const { text, summary } = await drain([CREATED, DELTA, COMPLETED], { prefix: "" });
    expect(text).toBe(CREATED + DELTA + COMPLETED);
    expect(summary).toMatchObject({ outcome: "completed", responseId: "resp_1", firstByteAt: 1_000 });
    expect(summary.usage).toMatchObject({ inputTokens: 3, outputTokens: 2, totalTokens: 5 });
  });

  it.each([
    ["the upstream ends early", [CREATED, DELTA] as Step[], "stream_interrupted"],
    ["the upstream read fails", [CREATED, DELTA, "throw"] as Step[], "stream_interrupted"],
    ["the upstream is cut inside an event", [CREATED, DELTA.slice(0, 20)] as Step[], "stream_interrupted"],
  ])("%s: one well-formed response.failed ends it", async (_what, steps, code) => {
    const { text, events, summary } = await drain(steps);
    // What the upstream sent is all there, unchanged, before the failure.
    expect(text.startsWith(steps.filter((s) => s !== "throw").join(""))).toBe(true);
    expect(lastType(events)).toBe("response.failed");
    const failure = JSON.parse(events.at(-1)?.data ?? "{}");
    expect(failure.response).toMatchObject({ id: "resp_1", status: "failed", error: { code } });
    expect(summary).toMatchObject({ outcome: "interrupted", errorCode: code });
  });

  it("ends a silent upstream with stream_idle_timeout and aborts it", async () => {
    const { events, summary, aborted, reader } = await drain([CREATED, "hang"], { idleTimeoutMs: 30 });
    expect(JSON.parse(events.at(-1)?.data ?? "{}").response.error.code).toBe("stream_idle_timeout");
    expect(summary.outcome).toBe("interrupted");
    expect(aborted).toBeGreaterThan(0);
    expect(reader.cancelled).toBe(true);
  });

  it("ends an event that never ends past the cap, and aborts the upstream", async () => {
    const { events, summary, aborted } = await drain([CREATED, `data: ${"x".repeat(5_000)}`, "hang"], {
      maxEventBytes: 4_096,
    });
    expect(JSON.parse(events.at(-1)?.data ?? "{}").response.error.code).toBe("upstream_event_too_large");
    expect(summary.errorCode).toBe("upstream_event_too_large");
    expect(aborted).toBeGreaterThan(0);
  });

  it("keeps a terminal failure the upstream sent as its own", async () => {
    const failed = ev("response.failed", { response: { id: "resp_1", error: { code: "invalid_prompt" } } });
    const { text, summary } = await drain([CREATED, failed]);
    expect(text).toBe(CREATED + failed);
    expect(summary.outcome).toBe("failed");
  });

  it("sends keep-alives only between events while the upstream is silent", async () => {
    let reads = 0;
    const reader: ChunkReader = {
      read: () => {
        reads++;
        if (reads === 1) return Promise.resolve({ done: false, value: encoder.encode(DELTA.slice(0, 15)) });
        if (reads === 2)
          return new Promise((resolve) =>
            setTimeout(() => resolve({ done: false, value: encoder.encode(DELTA.slice(15)) }), 60),
          );
        if (reads === 3)
          return new Promise((resolve) =>
            setTimeout(() => resolve({ done: false, value: encoder.encode(COMPLETED) }), 60),
          );
        return Promise.resolve({ done: true, value: undefined });
      },
      cancel: () => Promise.resolve(),
    };
    const source = relaySse(reader, {
      now: () => 0,
      keepAliveMs: 10,
      abortUpstream: () => undefined,
      onDone: () => undefined,
    });
    const parts: Uint8Array[] = [];
    for (let chunk = await source.pull(); chunk; chunk = await source.pull()) parts.push(chunk);
    const text = Buffer.concat(parts).toString("utf8");
    // Not inside the cut delta; after it, at least one, each a whole event of its own.
    expect(text.startsWith(DELTA)).toBe(true);
    const types = sseMessages(text).map((m) => m.event);
    expect(types[0]).toBe("response.output_text.delta");
    expect(types).toContain("codex.keepalive");
    expect(types.at(-1)).toBe("response.completed");
  });

  it.each([
    ["the client leaves: the summary says so", undefined, { outcome: "client_closed" }],
    [
      "the consumer stops it with a RelayStop: the summary records its reason",
      new RelayStop("turn_time_limit"),
      { outcome: "interrupted", errorCode: "turn_time_limit" },
    ],
  ])("aborts the upstream when %s", async (_name, reason, expected) => {
    const reader = scripted([CREATED, "hang"]);
    let summary: StreamSummary | undefined;
    let aborted = 0;
    const source = relaySse(reader, {
      now: () => 0,
      keepAliveMs: 0,
      abortUpstream: () => aborted++,
      onDone: (s) => {
        summary = s;
      },
    });
    expect(await source.pull()).toBeDefined();
    await source.cancel(reason);
    expect(aborted).toBe(1);
    expect(reader.cancelled).toBe(true);
    expect(summary).toMatchObject(expected);
  });
});

describe("any cut of the upstream's bytes", () => {
  it("reaches the client unchanged, then exactly one terminal event that parses", async () => {
    const turn = CREATED + DELTA + DELTA + COMPLETED;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), async (cuts, dropEnd) => {
        const whole = dropEnd ? turn.slice(0, turn.length - 30) : turn;
        const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
        const steps: string[] = [];
        let from = 0;
        for (const at of [...points, whole.length]) {
          if (at > from) steps.push(whole.slice(from, at));
          from = Math.max(from, at);
        }
        const { text, events, summary } = await drain(steps);
        expect(text.startsWith(whole)).toBe(true);
        // (A cut inside the upstream's own terminal event is closed off as a fragment that does not
        // parse; the failure event after it does.)
        const parses = (data: string) => {
          try {
            JSON.parse(data);
            return true;
          } catch {
            return false;
          }
        };
        const terminals = events.filter(
          (e) => (e.event === "response.completed" || e.event === "response.failed") && parses(e.data),
        );
        expect(terminals).toHaveLength(1);
        expect(summary.outcome).toBe(dropEnd ? "interrupted" : "completed");
      }),
      { numRuns: 150 },
    );
  });
});

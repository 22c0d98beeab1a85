// The first-event peek as a state machine, without a network: scripted upstream chunks in, a decision
// out (commit with the held bytes, or a retry with its code). The whole decision table, then a
// property: however the same bytes are cut into chunks, the decision is the same.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ChunkReader } from "../src/core/relay/chunk-source.ts";
import { peekFirstEvent } from "../src/core/relay/sse-peek.ts";

const encoder = new TextEncoder();
const MAX = 64 * 1024;

/** An SSE event as Codex's upstream writes it. */
const ev = (type: string, extra: Record<string, unknown> = {}) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...extra })}\n\n`;
const failed = (code: string) => ev("response.failed", { response: { error: { code, message: "x" } } });
const errorEvent = (code: string) => ev("error", { error: { code, message: "x" } });
const OPENING = ev("response.created") + ev("response.in_progress") + ev("codex.rate_limits");

/** Hands out `chunks` one read at a time, then ends (or, with `hang`, never answers again). */
function scripted(chunks: Uint8Array[], hang = false): ChunkReader & { reads: number } {
  let at = 0;
  return {
    reads: 0,
    read() {
      this.reads++;
      if (at < chunks.length) return Promise.resolve({ done: false, value: chunks[at++] as Uint8Array });
      return hang ? new Promise(() => undefined) : Promise.resolve({ done: true, value: undefined });
    },
    cancel: () => Promise.resolve(),
  };
}

const bytes = (text: string) => encoder.encode(text);
const joined = (parts: Uint8Array[]) => Buffer.concat(parts).toString("utf8");

describe("the first-event decision", () => {
  it.each([
    ["a delta after the opening events commits", OPENING + ev("response.output_text.delta"), "commit"],
    ["a completed turn with no output commits", OPENING + ev("response.completed"), "commit"],
    ["server_is_overloaded retries", OPENING + failed("server_is_overloaded"), "server_is_overloaded"],
    ["rate_limit_exceeded retries", OPENING + failed("rate_limit_exceeded"), "rate_limit_exceeded"],
    ["an error event with a retryable code retries", OPENING + errorEvent("server_error"), "server_error"],
    ["a failure no other account fixes commits", OPENING + failed("invalid_prompt"), "commit"],
    ["a failure without a code commits", OPENING + ev("response.failed"), "commit"],
    ["a stream that ends before deciding retries", OPENING, "stream_incomplete"],
    ["an empty stream retries", "", "stream_incomplete"],
    [
      "comments and keep-alives are held like opening events",
      `: hi\n\n${ev("codex.keepalive")}`,
      "stream_incomplete",
    ],
  ])("%s", async (_what, stream, expected) => {
    const result = await peekFirstEvent(scripted([bytes(stream)]), 5_000, MAX);
    if (expected === "commit") {
      expect(result.kind).toBe("commit");
      // Nothing is lost: every byte read so far is handed to the relay, in order.
      if (result.kind === "commit") expect(joined(result.prefix)).toBe(stream);
    } else {
      expect(result).toEqual({ kind: "retry", code: expected, usageLimited: false });
    }
  });

  it("marks a usage-limit failure as such", async () => {
    const result = await peekFirstEvent(
      scripted([bytes(OPENING + failed("usage_limit_reached"))]),
      5_000,
      MAX,
    );
    expect(result).toEqual({ kind: "retry", code: "usage_limit_reached", usageLimited: true });
  });

  it("stops reading at the decisive event", async () => {
    const reader = scripted([bytes(OPENING), bytes(ev("response.output_text.delta")), bytes(ev("more"))]);
    const result = await peekFirstEvent(reader, 5_000, MAX);
    expect(result.kind).toBe("commit");
    expect(reader.reads).toBe(2);
  });

  it("gives up holding back past the byte cap, before the client has seen anything", async () => {
    const padding = "x".repeat(2048);
    const chunks = Array.from({ length: 40 }, () => bytes(ev("codex.rate_limits", { padding })));
    expect(await peekFirstEvent(scripted(chunks), 5_000, MAX)).toEqual({
      kind: "retry",
      code: "upstream_event_too_large",
      usageLimited: false,
    });
    // One line that never ends counts the same way.
    expect(await peekFirstEvent(scripted([bytes(`data: ${"y".repeat(MAX + 1)}`)]), 5_000, MAX)).toMatchObject(
      {
        code: "upstream_event_too_large",
      },
    );
  });

  it("commits what it holds when the first decisive event is slow, handing over the read in flight", async () => {
    const reader = scripted([bytes(OPENING)], true);
    const result = await peekFirstEvent(reader, 20, MAX);
    expect(result.kind).toBe("commit");
    if (result.kind !== "commit") return;
    expect(joined(result.prefix)).toBe(OPENING);
    expect(result.pending).toBeInstanceOf(Promise);
  });
});

describe("chunking", () => {
  const streams = fc.constantFrom(
    OPENING + ev("response.output_text.delta", { delta: "héllo ✓" }),
    OPENING + failed("server_is_overloaded"),
    OPENING + failed("usage_limit_reached"),
    OPENING + failed("invalid_prompt"),
    OPENING,
  );

  it("decides the same however the bytes are cut (even inside a UTF-8 character)", async () => {
    await fc.assert(
      fc.asyncProperty(streams, fc.array(fc.nat(), { maxLength: 12 }), async (stream, cuts) => {
        const whole = bytes(stream);
        const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let from = 0;
        for (const at of [...points, whole.length]) {
          if (at > from) chunks.push(whole.subarray(from, at));
          from = Math.max(from, at);
        }
        const once = await peekFirstEvent(scripted([whole]), 5_000, MAX);
        const cut = await peekFirstEvent(scripted(chunks), 5_000, MAX);
        expect(cut.kind).toBe(once.kind);
        if (once.kind === "retry" && cut.kind === "retry") expect(cut.code).toBe(once.code);
        // A commit holds a prefix of the stream: the relay continues from exactly there.
        if (cut.kind === "commit") expect(stream.startsWith(joined(cut.prefix))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

// Status lines for hostile-upstream tests (test/fake-upstream/hostile.ts writes them raw) and the
// check every client answer to one must pass.
import fc from "fast-check";
import { expect } from "vitest";
import { rawAnswer } from "../fake-upstream/hostile.ts";

/** The upstream's error body for every generated answer: OpenAI-shaped, so a relayed 4xx is too. */
const ERROR_BODY = JSON.stringify({
  error: { message: "hostile upstream", type: "invalid_request_error", param: null, code: "hostile" },
});

export type StatusLine = { status: number; reason: string };

/** Any three digits and a reason phrase of any bytes (CR and LF included). */
export const statusLine: fc.Arbitrary<StatusLine> = fc.record({
  status: fc.integer({ min: 0, max: 999 }),
  reason: fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
});

/** The cases the issue names, always run first (fast-check `examples`). */
export const NAMED: [StatusLine][] = [
  [{ status: 600, reason: "Weird" }],
  [{ status: 999, reason: "X" }],
  [{ status: 0, reason: "Zero" }],
  [{ status: 99, reason: "Low" }],
  [{ status: 101, reason: "Switching Protocols" }],
  [{ status: 200, reason: "O\x01K\x7f" }],
  [{ status: 503, reason: "\x00\x1b[31m" }],
  [{ status: 302, reason: "Found" }],
];

/** The whole answer: `HTTP/1.1 <three digits> <reason>`, a JSON error body, then a close. */
export const answerOf = ({ status, reason }: StatusLine) =>
  rawAnswer(String(status).padStart(3, "0"), reason, ERROR_BODY);

/** Any 2xx, 4xx or 5xx status line is an answer of the usual kind; anything else is not HTTP. */
export const usual = (status: number) => [2, 4, 5].includes(Math.floor(status / 100));

/** Throws unless a refusal (4xx/5xx) is an OpenAI-shaped JSON error. */
export function expectWellFormed(status: number, text: string, what: string): void {
  if (status < 400) return;
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${what}: HTTP ${status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  const e = body?.error;
  expect(typeof e?.message === "string" && typeof e?.type === "string", `${what}: ${text}`).toBe(true);
  expect("code" in e && "param" in e, `${what}: ${text}`).toBe(true);
}

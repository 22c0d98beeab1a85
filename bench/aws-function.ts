// One Lambda execution environment for the bench's AWS-path phase (bench/aws-path.ts): a process that
// builds the host exactly as a Lambda entry does (lambdas/runtime.ts, lambdas/admin.ts) against the
// DynamoDB and Secrets Manager endpoints it is given, and invokes its streaming handler on the events
// the bench posts to its control URL. It records every AWS call (action, start, end, before or after
// the first body byte), the time to the first body byte, the invocation's duration (what Lambda
// bills), the CPU time it used and the process's memory. The clock can be moved forward, so the
// short caches expire without waiting ("warm after idle").
import { createServer } from "node:http";
import { Writable } from "node:stream";

const initStarted = performance.now();
const { streamHandler } = await import("../src/adapters/lambda/stream-handler.ts");
const { adminFetch, publicFetch, publicStreamOptions } = await import("../src/server/aws-apps.ts");
const { awsConfigFromEnv, createAwsHost } = await import("../src/server/aws-host.ts");
const { wrapAwsCalls } = await import("../test/helpers/aws-calls.ts");
const { OWNER_SCOPE } = await import("../src/core/access/scope.ts");

let offset = 0;
/** When the invocation first called the upstream's Responses endpoint (ms after its start). */
let upstreamAt: number | undefined;
const host = createAwsHost(awsConfigFromEnv(), {
  clock: { now: () => Date.now() + offset },
  fetch: ((input: string | URL | Request, init?: RequestInit) => {
    if (String(input).endsWith("/codex/responses")) upstreamAt ??= performance.now() - invocationStart;
    return fetch(input, init);
  }) as typeof fetch,
});
const role = process.env.BENCH_ROLE === "admin" ? "admin" : "runtime";
const handler =
  role === "admin"
    ? streamHandler({
        fetch: adminFetch(host, async () => ({ actor: "bench-operator", scope: OWNER_SCOPE })),
        settle: () => host.settle(),
      })
    : streamHandler(publicStreamOptions(host, publicFetch(host)));
const initMs = performance.now() - initStarted;

interface Call {
  action: string;
  start: number;
  end?: number;
  beforeFirstByte: boolean;
  beforeUpstream: boolean;
}
let calls: Call[] = [];
let invocationStart = 0;
let firstByteAt: number | undefined;

const record = async <T>(action: string, run: () => Promise<T>): Promise<T> => {
  const call: Call = {
    action,
    start: performance.now() - invocationStart,
    beforeFirstByte: firstByteAt === undefined,
    beforeUpstream: upstreamAt === undefined,
  };
  calls.push(call);
  try {
    return await run();
  } finally {
    call.end = performance.now() - invocationStart;
  }
};
wrapAwsCalls(host, record);

/** Lambda's response stream: the HTTP prelude, eight NUL bytes, then the body (kept up to 64 KB). */
class Recorder extends Writable {
  head = Buffer.alloc(0);
  body: Buffer[] = [];
  kept = 0;
  bytes = 0;
  status = 0;
  setContentType(): void {}
  override _write(chunk: Buffer, _e: BufferEncoding, done: () => void): void {
    if (this.status === 0) {
      this.head = Buffer.concat([this.head, chunk]);
      const end = this.head.indexOf(Buffer.alloc(8));
      if (end >= 0) {
        this.status = (
          JSON.parse(this.head.subarray(0, end).toString()) as { statusCode: number }
        ).statusCode;
        const rest = this.head.subarray(end + 8);
        if (rest.length > 0) this.#body(rest);
      }
    } else this.#body(chunk);
    done();
  }
  #body(chunk: Buffer): void {
    firstByteAt ??= performance.now() - invocationStart;
    this.bytes += chunk.length;
    if (this.kept < 64 * 1024) {
      this.body.push(chunk);
      this.kept += chunk.length;
    }
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", async () => {
    const input = JSON.parse(Buffer.concat(chunks).toString()) as { event: unknown; advanceMs?: number };
    offset += input.advanceMs ?? 0;
    calls = [];
    firstByteAt = undefined;
    upstreamAt = undefined;
    const stream = new Recorder();
    const cpu = process.cpuUsage();
    invocationStart = performance.now();
    let cpuBeforeFirstByte: number | undefined;
    const probe = () => {
      if (firstByteAt !== undefined && cpuBeforeFirstByte === undefined) {
        const used = process.cpuUsage(cpu);
        cpuBeforeFirstByte = (used.user + used.system) / 1000;
      }
    };
    const original = stream.write.bind(stream);
    stream.write = ((chunk: Buffer, ...rest: never[]) => {
      const result = original(chunk, ...rest);
      probe();
      return result;
    }) as typeof stream.write;
    await (handler as (e: unknown, s: Writable, c: unknown) => Promise<void>)(input.event, stream, {
      awsRequestId: crypto.randomUUID(),
      getRemainingTimeInMillis: () => 15 * 60_000,
    });
    const billedMs = performance.now() - invocationStart;
    const used = process.cpuUsage(cpu);
    const memory = process.memoryUsage();
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({
        status: stream.status,
        body: Buffer.concat(stream.body).toString("utf8").slice(0, 4096),
        bytes: stream.bytes,
        ttfbMs: firstByteAt,
        upstreamAtMs: upstreamAt,
        billedMs,
        cpuMs: (used.user + used.system) / 1000,
        cpuBeforeFirstByteMs: cpuBeforeFirstByte,
        calls,
        rssMb: memory.rss / 2 ** 20,
        heapMb: memory.heapUsed / 2 ** 20,
        maxRssMb: process.resourceUsage().maxRSS / 1024,
      }),
    );
  });
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${port}`, initMs, rssMb: process.memoryUsage().rss / 2 ** 20 })}\n`,
  );
});

// The runtime entry (lambdas/runtime.ts) as Lambda runs it: function URL events through the
// streaming adapter into a recording response stream, DynamoDB on the embedded emulator, Secrets
// Manager mocked, the fake ChatGPT upstream behind. Data is seeded through the admin entry.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VIEWER_REQUEST_CODE } from "../lib/constructs/viewer-request.ts";
import { type FakeUpstream, zstdRawFrame, zstdRleBomb, zstdSkippableFrame } from "./fake-upstream/index.ts";
import { startFunctionUrlServer } from "./helpers/function-url-server.ts";
import { TEXT_TURN_BODY, waitFor } from "./helpers/gateway.ts";
import {
  type AwsCallRecorder,
  functionUrlEvent,
  invoke,
  type LambdaHarness,
  lambdaContext,
  MockResponseStream,
  ORIGIN_SECRET_ARN,
  ORIGIN_VALUE,
  startLambdaHarness,
} from "./helpers/lambda.ts";

let aws: LambdaHarness;
let fake: FakeUpstream;
let secrets: LambdaHarness["secrets"];
let stdout: LambdaHarness["output"];
let runtime: unknown;
let seeded: { pool: string; key: string; keyId: string; accountId: string };
let recorder: AwsCallRecorder;
/** `GET /bootstrap/status` before any Pool existed: through the adapter, and through CloudFront. */
let firstRun: { direct: MockResponseStream; viaCloudFront: FrontAnswer };

const origin = { "x-origin-verify": ORIGIN_VALUE };

/** This process's peak resident memory (VmHWM), in bytes. */
const peakRss = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) * 1024;

const adminCall = (method: string, path: string, body?: unknown) => aws.iamAdmin(method, path, body);

function turn(headers: Record<string, string> = origin, body: unknown = TEXT_TURN_BODY) {
  return {
    method: "POST",
    path: "/backend-api/codex/responses",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${seeded.key}`,
      ...headers,
    },
    // Function URLs deliver binary-safe bodies base64-encoded.
    body: JSON.stringify(body),
    base64: true,
  };
}

async function requestLog(code?: string) {
  return waitFor(async () => {
    const { body } = await adminCall("GET", `/request-logs?key=${seeded.keyId}&limit=50`);
    return body.data.find((l: { errorCode?: string }) => (code ? l.errorCode === code : !l.errorCode));
  });
}

async function closedLogs(): Promise<number> {
  const { body } = await adminCall("GET", `/request-logs?key=${seeded.keyId}&limit=200`);
  return body.data.filter((l: { errorCode?: string }) => l.errorCode === "client_closed").length;
}

/** One GET through a stand-in for the distribution: its viewer-request function and origin header. */
async function throughCloudFront(path: string): Promise<FrontAnswer> {
  const front = await startFunctionUrlServer(runtime, {
    originHeaders: origin,
    viewerRequest: VIEWER_REQUEST_CODE,
  });
  try {
    const res = await fetch(`${front.url}${path}`);
    return { status: res.status, cacheControl: res.headers.get("cache-control"), body: await res.json() };
  } finally {
    await front.close();
  }
}
interface FrontAnswer {
  status: number;
  cacheControl: string | null;
  body: unknown;
}

beforeAll(async () => {
  aws = await startLambdaHarness();
  ({ fake, secrets, recorder, output: stdout } = aws);
  runtime = await aws.entry("runtime", () => import("../lambdas/runtime.ts"));
  firstRun = {
    direct: await invoke(runtime, { method: "GET", path: "/bootstrap/status", headers: origin }),
    viaCloudFront: await throughCloudFront("/bootstrap/status"),
  };
  const pool = "lambda";
  expect((await adminCall("POST", "/pools", { name: pool })).status).toBe(201);
  const account = fake.createAccount();
  const imported = await adminCall("POST", "/accounts/import", {
    pool,
    authJson: account.authJson,
    label: "acct1",
  });
  expect(imported.status).toBe(201);
  const key = await adminCall("POST", "/keys", { pool, label: "lambda-test" });
  expect(key.status).toBe(201);
  seeded = { pool, key: key.body.secret, keyId: key.body.key.id, accountId: account.accountId };
});

afterAll(async () => {
  await aws?.close();
});

describe("first-run status on AWS", () => {
  it("answers GET /bootstrap/status without a token behind CloudFront: pending, then complete once a Pool exists", async () => {
    const pending = { status: "ok", bootstrap: "pending" };
    expect(firstRun.direct.prelude().statusCode).toBe(200);
    expect(firstRun.direct.json()).toEqual(pending);
    expect(firstRun.viaCloudFront).toEqual({ status: 200, cacheControl: "no-store", body: pending });

    // beforeAll has created the Pool since.
    const complete = { status: "ok", bootstrap: "complete" };
    const now = await invoke(runtime, { method: "GET", path: "/bootstrap/status", headers: origin });
    expect(now.json()).toEqual(complete);
    expect(await throughCloudFront("/bootstrap/status")).toEqual({
      status: 200,
      cacheControl: "no-store",
      body: complete,
    });
    // Straight at the function URL, without CloudFront's origin header: refused like every path.
    const bypass = await invoke(runtime, { method: "GET", path: "/bootstrap/status" });
    expect(bypass.prelude().statusCode).toBe(403);
  });
});

describe("runtime function URL streaming", () => {
  it("writes status, headers and the first SSE events before the upstream has finished", async () => {
    // Prepare: the upstream pauses after its first text delta until released.
    fake.enqueue(seeded.accountId, { kind: "text", text: "streamed through lambda", pauseAfterEvent: 4 });
    const stream = new MockResponseStream();
    let returned = false;

    // Act
    const invocation = (runtime as (e: unknown, s: unknown, c: unknown) => Promise<void>)(
      functionUrlEvent(turn()),
      stream,
      lambdaContext(),
    ).then(() => {
      returned = true;
    });
    const early = await stream.until((body) => body.includes("response.output_text.delta"));

    // Assess: the prelude and the first events are out while the upstream is still paused.
    expect(stream.contentType).toBe("application/vnd.awslambda.http-integration-response");
    const prelude = stream.prelude();
    expect(prelude.statusCode).toBe(200);
    expect(prelude.headers?.["content-type"]).toContain("text/event-stream");
    expect(prelude.headers?.["x-request-id"]).toMatch(/^req_/);
    expect(early).toContain("event: response.created");
    expect(early).not.toContain("response.completed");
    expect(returned).toBe(false);

    fake.releasePaused();
    await invocation;
    expect(stream.body()).toContain("response.completed");
    expect(stream.writableEnded).toBe(true);
    // The request log was written before the invocation returned (background work is awaited).
    const log = await requestLog();
    expect(log).toMatchObject({ status: 200, route: "/backend-api/codex/responses" });
  });

  it("relays the decoded base64 body and keeps the origin secret to itself", async () => {
    // Prepare
    fake.enqueue(seeded.accountId, { kind: "text", text: "hello" });
    const before = fake.responsesFor(seeded.accountId).length;

    // Act
    const out = await invoke(runtime, {
      ...turn(),
      path: "/backend-api/codex/responses",
      query: "client_version=0.169.0&trace=a%20b",
      cookies: ["session=abc", "theme=dark"],
    });

    // Assess: the decoded base64 body reached the upstream intact.
    expect(out.prelude().statusCode).toBe(200);
    const sent = fake.responsesFor(seeded.accountId).slice(before)[0]!;
    expect((sent.body as { input: unknown }).input).toEqual(TEXT_TURN_BODY.input);
    // The origin secret is for the function only: never forwarded upstream.
    expect(JSON.stringify(sent.headers)).not.toContain(ORIGIN_VALUE);
  });

  it.each([
    ["missing", {}],
    ["wrong", { "x-origin-verify": `${ORIGIN_VALUE.slice(0, -1)}X` }],
  ])("answers 403 JSON to a %s origin header without calling the app", async (_name, headers) => {
    // Prepare
    const before = fake.requests.length;

    // Act
    const out = await invoke(runtime, turn(headers));

    // Assess
    expect(out.prelude().statusCode).toBe(403);
    expect(out.prelude().headers?.["content-type"]).toContain("application/json");
    expect(out.json().error).toMatchObject({ code: "origin_forbidden", type: "invalid_request_error" });
    expect(fake.requests.length).toBe(before);
  });

  it("accepts the previous origin value during a rotation", async () => {
    // Prepare: a new current value; CloudFront still sends the old one until its redeploy.
    const entry = secrets.secrets.get(ORIGIN_SECRET_ARN)!;
    secrets.secrets.set(ORIGIN_SECRET_ARN, {
      current: "rotated-origin-value-abcdefghijklmnopqrstuvwxyz012345",
      previous: entry.current,
    });
    const { OriginSecretVerifier } = await import("../src/adapters/aws/origin-secret.ts");
    const { SecretsManagerClient } = await import("@aws-sdk/client-secrets-manager");
    const verifier = new OriginSecretVerifier(new SecretsManagerClient({}), { secretId: ORIGIN_SECRET_ARN });

    // Act / Assess
    expect(await verifier.verify(ORIGIN_VALUE)).toBe(true);
    expect(await verifier.verify("rotated-origin-value-abcdefghijklmnopqrstuvwxyz012345")).toBe(true);
    expect(await verifier.verify("something-else")).toBe(false);
    expect(await verifier.verify(undefined)).toBe(false);
    secrets.secrets.set(ORIGIN_SECRET_ARN, entry);
  });

  it("aborts the upstream when the response stream closes early", async () => {
    // Prepare
    fake.enqueue(seeded.accountId, { kind: "text", pauseAfterEvent: 4 });
    const stream = new MockResponseStream();

    // Act: the client goes away after the first delta.
    const invocation = (runtime as (e: unknown, s: unknown, c: unknown) => Promise<void>)(
      functionUrlEvent(turn()),
      stream,
      lambdaContext(),
    );
    await stream.until((body) => body.includes("response.output_text.delta"));
    stream.destroy();
    await invocation;

    // Assess: the relay saw the client leave and cancelled the upstream read.
    const log = await requestLog("client_closed");
    expect(log.status).toBe(499);
    expect(stream.body()).not.toContain("response.completed");
  });

  it("ends a turn at the Lambda deadline with a terminal event and aborts the upstream", async () => {
    // Prepare: 10 s margin (POOLER_DEADLINE_MARGIN_MS default) and 10.3 s left: cut after ~0.3 s.
    fake.enqueue(seeded.accountId, { kind: "text", pauseAfterEvent: 4 });
    const closedBefore = await closedLogs();

    // Act
    const out = await invoke(runtime, turn(), lambdaContext(10_300));

    // Assess
    expect(out.prelude().statusCode).toBe(200);
    const body = out.body();
    expect(body).toContain("event: response.failed");
    expect(body).toContain("turn_time_limit");
    expect(body).not.toContain("response.completed");
    expect(out.writableEnded).toBe(true);
    // The upstream read was cancelled (the relay logs it as the client leaving) before the return.
    expect(await closedLogs()).toBe(closedBefore + 1);
    fake.releasePaused();
  });

  it("does not serve the admin API on the public URL", async () => {
    const out = await invoke(runtime, { path: "/admin/v1/pools", headers: origin });
    expect(out.prelude().statusCode).toBe(404);
    expect(out.json().error.message).toContain("pooler --aws");
  });

  it("limits failed Pool key attempts per viewer address (set by CloudFront's viewer-request function)", async () => {
    const attempt = (address: string, headers: Record<string, string> = origin) =>
      invoke(runtime, {
        path: "/backend-api/codex/models",
        headers: {
          ...headers,
          "x-pooler-viewer-address": address,
          authorization: `Bearer sk-cxp-${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}-wrong`,
        },
      }).then((out) => out.prelude().statusCode);
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push(await attempt("192.0.2.44"));
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses[30]).toBe(429);
    // Another viewer, and the holder of a valid key behind the same edge, are not held back.
    expect(await attempt("192.0.2.45")).toBe(401);
    const served = await invoke(runtime, {
      path: "/backend-api/codex/models",
      headers: { ...origin, "x-pooler-viewer-address": "192.0.2.46", authorization: `Bearer ${seeded.key}` },
    });
    expect(served.prelude().statusCode).toBe(200);
  });

  it("holds compressed base64 bodies to the same limits: zstd declared sizes and windows, run-length and gzip bombs", async () => {
    // Prepare: what a function URL delivers base64-encoded, each under 6 MB as Lambda requires.
    const zeros = gzipSync(Buffer.alloc(8 * 1024 * 1024), { level: 9 });
    const bombs: [string, string, Buffer][] = [
      ["zstd", "1 GB content size", zstdRleBomb(20, { singleSegment: true, contentSize: 1_000_000_000 })],
      ["zstd", "1 GB window", zstdRleBomb(20, { windowDescriptor: 20 << 3 })],
      ["zstd", "run-length bomb", zstdRleBomb(600)],
      ["gzip", "multi-member bomb", Buffer.concat(Array.from({ length: 12 }, () => zeros))],
    ];
    const before = peakRss();
    for (const [encoding, what, body] of bombs) {
      // Act
      const out = await invoke(runtime, {
        ...turn({ ...origin, "content-encoding": encoding }),
        body,
        base64: true,
      });

      // Assess
      expect(out.prelude().statusCode, what).toBe(413);
      expect(out.json().error, what).toMatchObject({
        code: "request_too_large",
        type: "invalid_request_error",
      });
    }
    expect(peakRss() - before).toBeLessThan(256 * 1024 * 1024);

    // A valid zstd body in two frames with a skippable one between still makes a turn.
    fake.enqueue(seeded.accountId, { kind: "text", text: "zstd through lambda" });
    const json = Buffer.from(JSON.stringify(TEXT_TURN_BODY));
    const framed = Buffer.concat([
      zstdRawFrame(json.subarray(0, 10)),
      zstdSkippableFrame(Buffer.from("metadata")),
      zstdRawFrame(json.subarray(10)),
    ]);
    const ok = await invoke(runtime, {
      ...turn({ ...origin, "content-encoding": "zstd" }),
      body: framed,
      base64: true,
    });
    expect(ok.prelude().statusCode).toBe(200);
    expect(ok.body()).toContain("zstd through lambda");
  });

  it("refuses an admin body over 1 MiB on the admin entry", async () => {
    const out = await adminCall("POST", "/pools", { name: "big", padding: " ".repeat(2 * 1024 * 1024) });
    expect(out.status).toBe(413);
    expect(out.body.error).toMatchObject({ code: "request_too_large", type: "invalid_request_error" });
  });

  it("emits bounded EMF metrics and JSON logs without secrets", async () => {
    const emf = stdout.lines.filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
    const requests = emf.find(
      (m) => m.Requests !== undefined && m.RouteFamily === "backend_responses" && m.StatusClass === "2xx",
    );
    expect(requests?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: "CodexPooler/test",
      Dimensions: [["RouteFamily", "StatusClass"]],
    });
    expect(emf.some((m) => m.TimeToFirstByte !== undefined && m.RouteFamily === "backend_responses")).toBe(
      true,
    );
    expect(emf.some((m) => m.RequestErrors !== undefined && m.ErrorCode === "client_closed")).toBe(true);
    const all = stdout.lines.join("\n");
    expect(all).not.toContain(seeded.key);
    expect(all).not.toContain(ORIGIN_VALUE);
    expect(all).not.toContain("streamed through lambda");
  });

  it("stays within the IAM grants the stack gives the runtime and admin functions", () => {
    // Every DynamoDB and Secrets Manager call made above, per function, against lib/grants.ts.
    expect(recorder.calls.get("runtime")).toContain("requestLogs:BatchWriteItem");
    expect(recorder.calls.get("runtime")).toContain("origin:GetSecretValue");
    expect(recorder.outsideGrants("runtime")).toEqual([]);
    expect(recorder.outsideGrants("admin")).toEqual([]);
  });
});

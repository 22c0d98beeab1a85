// The AWS path, measured on this machine: each Lambda function in its own process (one execution
// environment each, bench/aws-function.ts) against the embedded DynamoDB emulator and a Secrets
// Manager stand-in, both behind a fixed per-call latency that mimics an in-region round trip
// (BENCH_AWS_LATENCY_MS, default 8). For cold, warm and warm-after-idle turns it reports the AWS calls
// made before and after the first byte, the sequential round trips before it (the time to first byte
// added by the latency, divided by the latency), and the billed duration. A second part sizes the
// runtime function: init time, CPU and peak memory per turn for a small and a 200 KB request body
// and a long stream, projected onto Lambda's memory sizes (CPU share proportional to memory).
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ensureTables } from "../src/adapters/dynamodb/tables.ts";
import { startEmbeddedDynamo } from "../src/server/embedded-dynamo.ts";
import { median } from "./load.ts";
import { type FakeProcess, REPO_ROOT } from "./processes.ts";

export interface AwsTurnRow {
  turn: "cold" | "warm" | "warm after idle";
  callsBefore: number;
  callsAfter: number;
  writesBefore: number;
  writesAfter: number;
  /** Sequential round trips the turn waited for before its upstream request (waitedRounds, median). */
  roundTrips: number;
  /** What the latency added before the upstream request, and to the first byte (medians). */
  addedBeforeUpstreamMs: number;
  addedTtfbMs: number;
  ttfbMs: number;
  billedMs: number;
  /** Billed duration at zero latency: what the AWS calls add is the difference. */
  billedMsNoLatency: number;
  /** The calls per turn by action, before | after the first byte (e.g. `GetItem 2 | UpdateItem 6`). */
  actions: string;
}

export interface AwsSizingRow {
  workload: string;
  requestKb: number;
  events: number;
  cpuBeforeFirstByteMs: number;
  cpuMs: number;
  peakRssMb: number;
}

export interface AwsPathResults {
  latencyMs: number;
  runs: number;
  turns: AwsTurnRow[];
  initMs: number;
  idleRssMb: number;
  sizing: AwsSizingRow[];
}

interface Invocation {
  status: number;
  body: string;
  bytes: number;
  ttfbMs: number;
  billedMs: number;
  cpuMs: number;
  cpuBeforeFirstByteMs: number;
  upstreamAtMs: number;
  calls: { action: string; start: number; end: number; beforeFirstByte: boolean; beforeUpstream: boolean }[];
  maxRssMb: number;
}

interface FunctionProcess {
  child: ChildProcess;
  initMs: number;
  rssMb: number;
  invoke(event: unknown, advanceMs?: number): Promise<Invocation>;
  stop(): Promise<void>;
}

const ORIGIN_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-origin";
const ORIGIN_VALUE = `origin-${randomBytes(16).toString("hex")}`;
const POOL = "bench-aws";

/** Delays every request by `latency.ms`, then forwards it to `target` (DynamoDB's round trip). */
function latencyProxy(target: string, latency: { ms: number }): Promise<Server> {
  const { hostname, port } = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      setTimeout(() => {
        const out = httpRequest(
          { hostname, port, method: req.method, path: req.url, headers: req.headers },
          (upstream: IncomingMessage) => {
            res.writeHead(upstream.statusCode ?? 500, upstream.headers);
            upstream.pipe(res);
          },
        );
        out.on("error", () => res.destroy());
        out.end(Buffer.concat(chunks));
      }, latency.ms);
    });
  });
  return listen(server);
}

/** Secrets Manager's JSON protocol for the calls the functions make, with the same latency. */
function secretsManagerStandIn(latency: { ms: number }): Promise<Server> {
  const secrets = new Map<string, { current: string; previous?: string }>([
    [ORIGIN_ARN, { current: ORIGIN_VALUE }],
  ]);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const action = String(req.headers["x-amz-target"] ?? "").replace(/^secretsmanager\./, "");
      const input = JSON.parse(Buffer.concat(chunks).toString() || "{}") as Record<string, string>;
      const answer = (status: number, body: unknown) =>
        setTimeout(() => {
          res.writeHead(status, {
            "content-type": "application/x-amz-json-1.1",
            ...(status >= 400 ? { "x-amzn-errortype": (body as { __type: string }).__type } : {}),
          });
          res.end(JSON.stringify(body));
        }, latency.ms);
      const notFound = () =>
        answer(400, { __type: "ResourceNotFoundException", message: "Secrets Manager can't find it" });
      const id = input.SecretId ?? input.Name ?? "";
      const entry = secrets.get(id);
      switch (action) {
        case "GetSecretValue": {
          const value = input.VersionStage === "AWSPREVIOUS" ? entry?.previous : entry?.current;
          return value === undefined ? notFound() : answer(200, { ARN: id, Name: id, SecretString: value });
        }
        case "PutSecretValue":
          if (!entry) return notFound();
          secrets.set(id, { current: input.SecretString ?? "", previous: entry.current });
          return answer(200, { ARN: id, Name: id });
        case "CreateSecret":
          if (entry) return answer(400, { __type: "ResourceExistsException", message: "exists" });
          secrets.set(id, { current: input.SecretString ?? "" });
          return answer(200, { ARN: id, Name: id });
        case "DeleteSecret":
          secrets.delete(id);
          return answer(200, { ARN: id, Name: id });
        default:
          return answer(400, { __type: "InvalidRequestException", message: `not served: ${action}` });
      }
    });
  });
  return listen(server);
}

function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

async function startFunction(role: "runtime" | "admin", env: NodeJS.ProcessEnv): Promise<FunctionProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/aws-function.ts"], {
    cwd: REPO_ROOT,
    env: { ...env, BENCH_ROLE: role },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    if (err.length < 16 * 1024) err += chunk;
  });
  const ready = await new Promise<{ url: string; initMs: number; rssMb: number }>((resolve, reject) => {
    let out = "";
    const onData = (chunk: string) => {
      out += chunk;
      const line = out.split("\n").find((l) => l.startsWith('{"url"'));
      if (line) {
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve(JSON.parse(line));
      }
    };
    child.stdout?.setEncoding("utf8").on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`${role} function exited (${code}): ${err.slice(0, 2000)}`)),
    );
  });
  return {
    child,
    initMs: ready.initMs,
    rssMb: ready.rssMb,
    async invoke(event, advanceMs = 0) {
      const response = await fetch(`${ready.url}/invoke`, {
        method: "POST",
        body: JSON.stringify({ event, advanceMs }),
      });
      return (await response.json()) as Invocation;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      if (child.exitCode === null && child.signalCode === null)
        await new Promise((r) => child.once("exit", r));
    },
  };
}

/** A function URL event (payload 2.0) as CloudFront's origin request reaches the function. */
function event(method: string, path: string, headers: Record<string, string>, body?: string) {
  return {
    version: "2.0",
    rawPath: path,
    rawQueryString: "",
    headers: { host: "bench.lambda-url.us-east-1.on.aws", "x-forwarded-proto": "https", ...headers },
    body: body === undefined ? undefined : Buffer.from(body).toString("base64"),
    isBase64Encoded: body !== undefined,
    requestContext: {
      accountId: "anonymous",
      apiId: "bench",
      domainName: "bench.lambda-url.us-east-1.on.aws",
      requestId: crypto.randomUUID(),
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "203.0.113.7", userAgent: "bench" },
    },
  };
}

/** A Codex turn as the CLI sends it over HTTP: session header, prompt cache key, `bytes` of history. */
function codexTurn(key: string, session: string, bytes = 0) {
  const history = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    const text = `turn ${i}: ${"lorem ipsum dolor sit amet ".repeat(40)}`;
    history.push({
      type: "message",
      role: i % 2 ? "assistant" : "user",
      content: [{ type: "input_text", text }],
    });
    size += text.length + 80;
  }
  const body = JSON.stringify({
    model: "gpt-5.5",
    stream: true,
    store: false,
    instructions: "You are a helpful assistant.",
    prompt_cache_key: session,
    input: [...history, { type: "message", role: "user", content: [{ type: "input_text", text: "Say hi" }] }],
  });
  return event(
    "POST",
    "/backend-api/codex/responses",
    {
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${key}`,
      "x-origin-verify": ORIGIN_VALUE,
      session_id: session,
    },
    body,
  );
}

const WRITE = /Put|Update|Write|Delete|Create/;

/**
 * The round trips an invocation waited for before it called the upstream. Its calls made before
 * that are cut into rounds: a call that starts after some call of the current round has answered
 * may depend on that answer, so it opens the next round; one that starts earlier runs beside them.
 * A round counts when one of its answers had arrived by the time the upstream was called (a round
 * entirely in flight then, such as a background re-read, held nothing up).
 */
export function waitedRounds(inv: Pick<Invocation, "calls" | "upstreamAtMs">): number {
  const calls = inv.calls.filter((c) => c.beforeUpstream).sort((a, b) => a.start - b.start);
  let rounds = 0;
  let firstAnswer: number | undefined;
  const close = () => {
    if (firstAnswer !== undefined && firstAnswer <= inv.upstreamAtMs) rounds++;
  };
  for (const call of calls) {
    const end = call.end ?? Number.POSITIVE_INFINITY;
    if (firstAnswer === undefined || call.start >= firstAnswer) {
      close();
      firstAnswer = end;
    } else firstAnswer = Math.min(firstAnswer, end);
  }
  close();
  return rounds;
}

function summarizeActions(calls: Invocation["calls"]): string {
  const part = (list: Invocation["calls"]) => {
    const counts = new Map<string, number>();
    for (const c of list) {
      const name = c.action.replace(/^(dynamodb|secrets):/, "");
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return [...counts].map(([name, n]) => `${name} ${n}`).join(", ") || "none";
  };
  return `${part(calls.filter((c) => c.beforeFirstByte))} / ${part(calls.filter((c) => !c.beforeFirstByte))}`;
}

export async function measureAwsPath(
  fake: FakeProcess,
  options: { latencyMs: number; runs: number; log(line: string): void },
): Promise<AwsPathResults> {
  const latency = { ms: 0 };
  const dynamo = await startEmbeddedDynamo();
  const tables = { state: "bench-aws-state", requestLogs: "bench-aws-request-logs" };
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  });
  await ensureTables(client, tables);
  client.destroy();
  const dynamoProxy = await latencyProxy(dynamo.endpoint, latency);
  const secrets = await secretsManagerStandIn(latency);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_ENDPOINT_URL_DYNAMODB: urlOf(dynamoProxy),
    AWS_ENDPOINT_URL_SECRETS_MANAGER: urlOf(secrets),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    POOLER_STATE_TABLE: tables.state,
    POOLER_REQUEST_LOG_TABLE: tables.requestLogs,
    POOLER_SECRET_PREFIX: "codex-pooler/bench/",
    POOLER_ORIGIN_SECRET_ARN: ORIGIN_ARN,
    POOLER_METRICS_NAMESPACE: "CodexPooler/bench",
    POOLER_SSE_KEEPALIVE_MS: "0",
    POWERTOOLS_SERVICE_NAME: "codex-pooler-bench",
    POWERTOOLS_LOG_LEVEL: "ERROR",
    POWERTOOLS_METRICS_DISABLED: "true",
    CODEX_UPSTREAM_BASE_URL: fake.upstreamBaseUrl,
    CODEX_AUTH_BASE_URL: fake.url,
  };
  const running: FunctionProcess[] = [];
  const start = async (role: "runtime" | "admin") => {
    const fn = await startFunction(role, env);
    running.push(fn);
    return fn;
  };
  try {
    // Seed through the admin function: a Pool, two accounts, a key.
    const admin = await start("admin");
    const call = async (method: string, path: string, body?: unknown) => {
      const out = await admin.invoke(
        event(
          method,
          `/admin/v1${path}`,
          { "content-type": "application/json" },
          body === undefined ? undefined : JSON.stringify(body),
        ),
      );
      if (out.status >= 300) throw new Error(`admin ${method} ${path}: ${out.status} ${out.body}`);
      return JSON.parse(out.body) as Record<string, unknown>;
    };
    await call("POST", "/pools", { name: POOL });
    const accountIds: string[] = [];
    for (let i = 0; i < 2; i++) {
      const account = await fake.createAccount();
      await call("POST", "/accounts/import", { pool: POOL, authJson: account.authJson, label: `aws-${i}` });
      accountIds.push(account.accountId);
    }
    const key = (await call("POST", "/keys", { pool: POOL, label: "bench-aws" })).secret as string;

    // Turns: a new process per cold turn; its second turn is warm, the third follows 6 s of idle.
    const samples: Record<AwsTurnRow["turn"], { at: number; inv: Invocation }[]> = {
      cold: [],
      warm: [],
      "warm after idle": [],
    };
    // The two latencies alternate, so a change in the machine's load touches both alike.
    for (let run = 0; run < options.runs; run++) {
      for (const ms of [0, options.latencyMs]) {
        latency.ms = ms;
        const fn = await start("runtime");
        const session = `bench-${ms}-${run}-${randomBytes(4).toString("hex")}`;
        const check = (inv: Invocation) => {
          if (inv.status !== 200)
            throw new Error(`runtime turn answered ${inv.status}: ${inv.body.slice(0, 300)}`);
          return inv;
        };
        samples.cold.push({ at: ms, inv: check(await fn.invoke(codexTurn(key, session))) });
        samples.warm.push({ at: ms, inv: check(await fn.invoke(codexTurn(key, session))) });
        samples["warm after idle"].push({
          at: ms,
          inv: check(await fn.invoke(codexTurn(key, session), 6_000)),
        });
        await fn.stop();
      }
    }
    if (process.env.BENCH_AWS_DEBUG)
      for (const t of Object.keys(samples) as AwsTurnRow["turn"][]) {
        const inv = samples[t].at(-1)?.inv as Invocation;
        options.log(
          `${t}: upstream at ${inv.upstreamAtMs?.toFixed(1)} ms, first byte ${inv.ttfbMs.toFixed(1)} ms`,
        );
        for (const c of inv.calls)
          options.log(`    ${c.action.padEnd(28)} ${c.start.toFixed(1)} → ${c.end?.toFixed(1)}`);
      }
    const turns: AwsTurnRow[] = (Object.keys(samples) as AwsTurnRow["turn"][]).map((turn) => {
      const at = (ms: number) => samples[turn].filter((s) => s.at === ms).map((s) => s.inv);
      const slow = at(options.latencyMs);
      const fast = at(0);
      const ttfb = median(slow.map((i) => i.ttfbMs));
      const added = ttfb - median(fast.map((i) => i.ttfbMs));
      const last = slow.at(-1) as Invocation;
      const before = last.calls.filter((c) => c.beforeFirstByte);
      const after = last.calls.filter((c) => !c.beforeFirstByte);
      return {
        turn,
        callsBefore: median(slow.map((i) => i.calls.filter((c) => c.beforeFirstByte).length)),
        callsAfter: median(slow.map((i) => i.calls.filter((c) => !c.beforeFirstByte).length)),
        writesBefore: before.filter((c) => WRITE.test(c.action)).length,
        writesAfter: after.filter((c) => WRITE.test(c.action)).length,
        roundTrips: median(slow.map(waitedRounds)),
        addedBeforeUpstreamMs:
          median(slow.map((i) => i.upstreamAtMs)) - median(fast.map((i) => i.upstreamAtMs)),
        addedTtfbMs: added,
        ttfbMs: ttfb,
        billedMs: median(slow.map((i) => i.billedMs)),
        billedMsNoLatency: median(fast.map((i) => i.billedMs)),
        actions: summarizeActions(last.calls),
      };
    });
    for (const t of turns)
      options.log(
        `  ${t.turn.padEnd(16)} calls ${t.callsBefore} before / ${t.callsAfter} after the first byte, ` +
          `${t.roundTrips} round trips (+${t.addedBeforeUpstreamMs.toFixed(1)} ms before the upstream request, ` +
          `+${t.addedTtfbMs.toFixed(1)} ms TTFB), billed ${t.billedMs.toFixed(1)} ms (${t.billedMsNoLatency.toFixed(1)} at 0 ms)`,
      );

    // Sizing: one warm process per workload, at zero latency (CPU and memory are the function's own).
    latency.ms = 0;
    const sizing: AwsSizingRow[] = [];
    const inits: number[] = [];
    let idleRssMb = 0;
    const workloads = [
      { workload: "small turn", requestKb: 0, text: "Hello there, this is a short answer." },
      { workload: "200 KB request", requestKb: 200, text: "Hello there, this is a short answer." },
      { workload: "long stream", requestKb: 0, text: "word ".repeat(2_000).trim() },
    ];
    for (const w of workloads) {
      for (const id of accountIds) await fake.setDefaultBehavior(id, { kind: "text", text: w.text });
      const fn = await start("runtime");
      inits.push(fn.initMs);
      idleRssMb = Math.max(idleRssMb, fn.rssMb);
      const session = `size-${randomBytes(4).toString("hex")}`;
      await fn.invoke(codexTurn(key, session, w.requestKb * 1024));
      const runs: Invocation[] = [];
      for (let i = 0; i < Math.max(3, options.runs); i++)
        runs.push(await fn.invoke(codexTurn(key, session, w.requestKb * 1024)));
      const events = (runs[0]?.body.match(/^event: /gm) ?? []).length;
      sizing.push({
        workload: w.workload,
        requestKb: w.requestKb,
        events: w.workload === "long stream" ? 2_000 + 6 : events,
        cpuBeforeFirstByteMs: median(runs.map((r) => r.cpuBeforeFirstByteMs)),
        cpuMs: median(runs.map((r) => r.cpuMs)),
        peakRssMb: Math.max(...runs.map((r) => r.maxRssMb)),
      });
      await fn.stop();
    }
    for (const id of accountIds) await fake.setDefaultBehavior(id, { kind: "text" });
    for (const s of sizing)
      options.log(
        `  ${s.workload.padEnd(16)} CPU ${s.cpuBeforeFirstByteMs.toFixed(1)} ms before the first byte, ${s.cpuMs.toFixed(1)} ms per turn, peak RSS ${s.peakRssMb.toFixed(0)} MB`,
      );
    return {
      latencyMs: options.latencyMs,
      runs: options.runs,
      turns,
      initMs: median(inits),
      idleRssMb,
      sizing,
    };
  } finally {
    for (const fn of running) await fn.stop().catch(() => undefined);
    dynamoProxy.closeAllConnections();
    secrets.closeAllConnections();
    dynamoProxy.close();
    secrets.close();
    await dynamo.close();
  }
}

// The AWS deployment's WebSocket and HTTPS paths in one process, for tests: the WebSocket routes
// and worker entries (lambdas/websocket*.ts) behind the API Gateway emulator (worker invoked
// asynchronously through the emulator's Lambda endpoint), the runtime entry behind a CloudFront +
// function URL stand-in, the admin entry for seeding; DynamoDB on the embedded emulator, Secrets
// Manager mocked, the fake ChatGPT upstream behind. The front routes WebSocket upgrades on the
// Responses paths to the WebSocket API, as a host serving both would.
import WebSocket from "ws";
import { type FakeUpstream, startFakeUpstream } from "../fake-upstream/index.ts";
import {
  type ApiGatewayEmulator,
  type AsyncFunction,
  type EmulatorLimits,
  type RouteHandler,
  startApiGatewayEmulator,
} from "./api-gateway-websocket.ts";
import { type FunctionUrlServer, startFunctionUrlServer } from "./function-url-server.ts";
import {
  AwsCallRecorder,
  captureOutput,
  invoke,
  type LambdaTestEnvironment,
  lambdaEnvironment,
  mockSecretsManager,
  OPERATOR,
  ORIGIN_SECRET_ARN,
  ORIGIN_VALUE,
} from "./lambda.ts";

export const WORKER_FUNCTION = "codex-pooler-test-WebSocketWorker";
const RESPONSES_PATHS = new Set([
  "/backend-api/codex/responses",
  "/backend-api/codex/v1/responses",
  "/v1/responses",
]);

export interface AwsWebSocketStack {
  fake: FakeUpstream;
  env: LambdaTestEnvironment;
  emulator: ApiGatewayEmulator;
  /** CloudFront in front of the runtime function URL, upgrades on the Responses paths to the WebSocket API. */
  front: FunctionUrlServer;
  recorder: AwsCallRecorder;
  /** Every line the functions logged (Powertools logs, EMF metrics). */
  output: { lines: string[] };
  /** Replaces the routes entry the emulator calls (default: lambdas/websocket.ts as deployed). */
  routes: { handler: RouteHandler; deployed: RouteHandler };
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  seed(options?: {
    accounts?: number;
  }): Promise<{ pool: string; key: string; keyId: string; accountIds: string[] }>;
  stop(): Promise<void>;
}

let pools = 0;

export async function startAwsWebSocketStack(
  options: { limits?: Partial<EmulatorLimits>; env?: Record<string, string> } = {},
): Promise<AwsWebSocketStack> {
  const fake = await startFakeUpstream();
  const routes = {} as AwsWebSocketStack["routes"];
  let worker: AsyncFunction = async () => undefined;
  const emulator = await startApiGatewayEmulator({
    handler: (event) => routes.handler(event),
    limits: options.limits,
    asyncFunctions: { [WORKER_FUNCTION]: (event, context) => worker(event, context) },
  });
  const env = await lambdaEnvironment({
    CODEX_UPSTREAM_BASE_URL: fake.upstreamBaseUrl,
    CODEX_AUTH_BASE_URL: fake.authBaseUrl,
    POOLER_WEBSOCKET_WORKER_FUNCTION: WORKER_FUNCTION,
    POOLER_WEBSOCKET_MANAGEMENT_ENDPOINT: emulator.managementEndpoint,
    AWS_ENDPOINT_URL_LAMBDA: emulator.lambdaEndpoint,
    ...options.env,
  });
  const recorder = new AwsCallRecorder(env.tables);
  const secrets = mockSecretsManager({ [ORIGIN_SECRET_ARN]: ORIGIN_VALUE }, recorder);
  const stdout = captureOutput();
  routes.deployed = recorder.as(
    "websocket",
    (await import("../../lambdas/websocket.ts")).handler as RouteHandler,
  );
  routes.handler = routes.deployed;
  worker = recorder.as(
    "websocketWorker",
    (await import("../../lambdas/websocket-worker.ts")).handler as AsyncFunction,
  );
  const runtime = recorder.as("runtime", (await import("../../lambdas/runtime.ts")).handler);
  const adminEntry = recorder.as("admin", (await import("../../lambdas/admin.ts")).handler);
  const front = await startFunctionUrlServer(runtime, {
    originHeaders: { "x-origin-verify": ORIGIN_VALUE },
    onUpgrade(req, socket, head) {
      if (!RESPONSES_PATHS.has(new URL(req.url ?? "/", "http://x").pathname)) return false;
      emulator.handleUpgrade(req, socket, head);
      return true;
    },
  });

  const admin: AwsWebSocketStack["admin"] = async (method, path, body) => {
    const out = await invoke(adminEntry, {
      method,
      path: `/admin/v1${path.split("?")[0]}`,
      query: path.split("?")[1],
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      iam: OPERATOR,
    });
    return { status: out.prelude().statusCode, body: out.json() };
  };

  return {
    fake,
    env,
    emulator,
    front,
    recorder,
    output: stdout,
    routes,
    admin,
    async seed(seedOptions = {}) {
      const pool = `ws${++pools}`;
      await admin("POST", "/pools", { name: pool });
      const accountIds: string[] = [];
      for (let i = 0; i < (seedOptions.accounts ?? 1); i++) {
        const account = fake.createAccount();
        const imported = await admin("POST", "/accounts/import", {
          pool,
          authJson: account.authJson,
          label: `${pool}-acct${i}`,
        });
        if (imported.status !== 201)
          throw new Error(`account import failed: ${JSON.stringify(imported.body)}`);
        accountIds.push(account.accountId);
      }
      const key = await admin("POST", "/keys", { pool, label: `${pool}-key` });
      return { pool, key: key.body.secret, keyId: key.body.key.id, accountIds };
    },
    async stop() {
      await front?.close();
      await emulator?.close();
      recorder.restore();
      stdout.restore();
      secrets.mock.restore();
      await fake.close();
      await env.close();
    },
  };
}

/**
 * A Responses WebSocket client that keeps every frame within API Gateway's 32 KB (a longer message
 * goes out as a first frame plus continuation frames) and reads one turn at a time.
 */
export class SmallFrameClient {
  readonly messages: Record<string, any>[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];

  private constructor(
    readonly ws: WebSocket,
    readonly frameBytes: number,
  ) {
    ws.on("message", (data) => {
      this.messages.push(JSON.parse(data.toString()) as Record<string, any>);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.once("close", (code, reason) => {
        for (const wake of this.#waiters.splice(0)) wake();
        resolve({ code, reason: reason.toString() });
      });
    });
  }

  static connect(
    url: string,
    headers: Record<string, string>,
    frameBytes = 16 * 1024,
  ): Promise<SmallFrameClient | { status: number }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, perMessageDeflate: false });
      ws.on("error", () => undefined); // reported through `close`
      ws.once("open", () => resolve(new SmallFrameClient(ws, frameBytes)));
      ws.once("unexpected-response", (_req, res) => {
        resolve({ status: res.statusCode ?? 0 });
        res.resume();
        ws.terminate();
      });
      ws.once("error", reject);
    });
  }

  /** Sends one message as frames of at most `frameBytes`. */
  send(message: unknown): void {
    const bytes = Buffer.from(JSON.stringify(message));
    for (let offset = 0; offset < bytes.length; offset += this.frameBytes) {
      const fin = offset + this.frameBytes >= bytes.length;
      this.ws.send(bytes.subarray(offset, offset + this.frameBytes), { binary: false, fin });
    }
  }

  /** Sends a `response.create` and resolves with the messages up to its terminal event (or error frame). */
  async turn(request: Record<string, unknown>): Promise<Record<string, any>[]> {
    const from = this.messages.length;
    this.send({ type: "response.create", ...request });
    return this.until(from, (m) => TERMINAL.has(m.type));
  }

  /** The messages from index `from` up to the first matching one. */
  async until(from: number, done: (m: Record<string, any>) => boolean): Promise<Record<string, any>[]> {
    for (;;) {
      const index = this.messages.slice(from).findIndex(done);
      if (index >= 0) return this.messages.slice(from, from + index + 1);
      if (this.ws.readyState !== WebSocket.OPEN) {
        throw new Error(
          `connection closed before the turn ended: ${JSON.stringify(this.messages.slice(from))}`,
        );
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close(1000);
    return this.closed;
  }
}

const TERMINAL = new Set(["response.completed", "response.failed", "response.incomplete", "error"]);

export const isConnected = (c: SmallFrameClient | { status: number }): c is SmallFrameClient =>
  c instanceof SmallFrameClient;

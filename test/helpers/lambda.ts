// Lambda test doubles: function URL events (payload 2.0), a recording response stream like the
// runtime's, a Lambda context, the embedded DynamoDB tables and an in-memory Secrets Manager behind
// aws-sdk-client-mock. Entries (lambdas/*.ts) build their host at import, so set the environment
// with `lambdaEnvironment()` before importing them.
import "./quiet-aws-sdk.ts";
import { AsyncLocalStorage } from "node:async_hooks";
import { Writable } from "node:stream";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { FUNCTION_GRANTS, type GrantedFunction } from "../../lib/grants.ts";
import { ensureTables, type TableNames } from "../../src/adapters/dynamodb/tables.ts";
import type {
  FunctionUrlEvent,
  FunctionUrlIamIdentity,
} from "../../src/adapters/lambda/function-url-event.ts";
import type { HttpPrelude, LambdaContext } from "../../src/adapters/lambda/lambda-runtime.ts";
import { type EmbeddedDynamo, startEmbeddedDynamo } from "../../src/server/embedded-dynamo.ts";
import { type FakeUpstream, startFakeUpstream } from "../fake-upstream/index.ts";

export const ORIGIN_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:OriginSecret-AbCdEf";
export const ORIGIN_VALUE = "origin-verify-current-value-0123456789abcdefABCDEF";
export const SECRET_PREFIX = "codex-pooler-test/";

/** Records everything the handler writes, like the runtime's response stream. */
export class MockResponseStream extends Writable {
  readonly chunks: Buffer[] = [];
  contentType: string | undefined;

  setContentType(type: string): void {
    this.contentType = type;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    this.emit("chunk");
    callback();
  }

  get raw(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** The HTTP prelude `HttpResponseStream.from` wrote: JSON, then eight NUL bytes. */
  prelude(): HttpPrelude {
    const raw = this.raw;
    const end = raw.indexOf(Buffer.alloc(8));
    if (end < 0) throw new Error("no prelude written");
    return JSON.parse(raw.subarray(0, end).toString("utf8")) as HttpPrelude;
  }

  body(): string {
    const raw = this.raw;
    const end = raw.indexOf(Buffer.alloc(8));
    return end < 0 ? "" : raw.subarray(end + 8).toString("utf8");
  }

  json<T = any>(): T {
    return JSON.parse(this.body()) as T;
  }

  /** Resolves once the body satisfies `test` (event-driven: no polling, no timing). */
  until(test: (body: string) => boolean): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const body = this.body();
        if (test(body)) {
          this.off("chunk", check);
          resolve(body);
        }
      };
      this.on("chunk", check);
      this.once("close", () => reject(new Error(`stream closed before the condition held: ${this.body()}`)));
      check();
    });
  }
}

export interface EventInput {
  method?: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  cookies?: string[];
  body?: string | Buffer;
  base64?: boolean;
  iam?: FunctionUrlIamIdentity;
  domain?: string;
}

/** A function URL request as Lambda delivers it (payload format 2.0). */
export function functionUrlEvent(input: EventInput): FunctionUrlEvent {
  const domain = input.domain ?? "abcdefghijklmnop.lambda-url.us-east-1.on.aws";
  const body =
    input.body === undefined
      ? undefined
      : input.base64
        ? Buffer.from(input.body).toString("base64")
        : input.body.toString();
  return {
    version: "2.0",
    rawPath: input.path,
    rawQueryString: input.query ?? "",
    cookies: input.cookies,
    headers: { host: domain, "x-forwarded-proto": "https", ...input.headers },
    body,
    isBase64Encoded: input.base64 === true,
    requestContext: {
      accountId: input.iam ? "123456789012" : "anonymous",
      apiId: "abcdefghijklmnop",
      domainName: domain,
      requestId: crypto.randomUUID(),
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
      http: {
        method: input.method ?? "GET",
        path: input.path,
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.7",
        userAgent: input.headers?.["user-agent"] ?? "test",
      },
      ...(input.iam ? { authorizer: { iam: input.iam } } : {}),
    },
  };
}

export function lambdaContext(remainingMs = 15 * 60_000): LambdaContext {
  const deadline = Date.now() + remainingMs;
  return { awsRequestId: crypto.randomUUID(), getRemainingTimeInMillis: () => deadline - Date.now() };
}

type StreamEntry = (
  event: FunctionUrlEvent,
  stream: MockResponseStream,
  context: LambdaContext,
) => Promise<void>;

/** Invokes a streaming entry and resolves with what it wrote once the invocation has returned. */
export async function invoke(
  handler: unknown,
  input: EventInput,
  context = lambdaContext(),
): Promise<MockResponseStream> {
  const stream = new MockResponseStream();
  await (handler as StreamEntry)(functionUrlEvent(input), stream, context);
  return stream;
}

export const OPERATOR: FunctionUrlIamIdentity = {
  accessKey: "ASIAEXAMPLEKEY",
  accountId: "123456789012",
  callerId: "AROAEXAMPLEID:alice",
  userArn: "arn:aws:sts::123456789012:assumed-role/Operators/alice",
  userId: "AROAEXAMPLEID:alice",
  principalOrgId: null,
};

/** A Secrets Manager in memory, with version stages (for the origin secret's rotation). */
export function mockSecretsManager(initial: Record<string, string> = {}, recorder?: AwsCallRecorder) {
  const secrets = new Map<string, { current: string; previous?: string }>(
    Object.entries(initial).map(([k, v]) => [k, { current: v }]),
  );
  const notFound = () =>
    Object.assign(new Error("Secrets Manager can't find the specified secret."), {
      name: "ResourceNotFoundException",
    });
  const mock = mockClient(SecretsManagerClient);
  mock.on(GetSecretValueCommand).callsFake(async (input: { SecretId: string; VersionStage?: string }) => {
    recorder?.secret("GetSecretValue", input.SecretId);
    const entry = secrets.get(input.SecretId);
    const value = input.VersionStage === "AWSPREVIOUS" ? entry?.previous : entry?.current;
    if (value === undefined) throw notFound();
    return { SecretString: value };
  });
  mock.on(PutSecretValueCommand).callsFake(async (input: { SecretId: string; SecretString: string }) => {
    recorder?.secret("PutSecretValue", input.SecretId);
    const entry = secrets.get(input.SecretId);
    if (!entry) throw notFound();
    secrets.set(input.SecretId, { current: input.SecretString, previous: entry.current });
    return {};
  });
  mock
    .on(CreateSecretCommand)
    .callsFake(async (input: { Name: string; SecretString: string; Tags?: unknown[] }) => {
      recorder?.secret("CreateSecret", input.Name);
      if (input.Tags?.length) recorder?.secret("TagResource", input.Name);
      if (secrets.has(input.Name))
        throw Object.assign(new Error("exists"), { name: "ResourceExistsException" });
      secrets.set(input.Name, { current: input.SecretString });
      return {};
    });
  mock.on(DeleteSecretCommand).callsFake(async (input: { SecretId: string }) => {
    recorder?.secret("DeleteSecret", input.SecretId);
    if (!secrets.delete(input.SecretId)) throw notFound();
    return {};
  });
  return { mock, secrets };
}

export interface LambdaTestEnvironment {
  dynamo: EmbeddedDynamo;
  tables: TableNames;
  client: DynamoDBClient;
  close(): Promise<void>;
}

/** Embedded DynamoDB with the tables created, and the environment variables the CDK stack would set. */
export async function lambdaEnvironment(extra: Record<string, string> = {}): Promise<LambdaTestEnvironment> {
  const dynamo = await startEmbeddedDynamo();
  const tables: TableNames = { state: "test-state", requestLogs: "test-request-logs" };
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  await ensureTables(client, tables);
  Object.assign(process.env, {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    // The SDK's service-specific endpoint variable: the functions' real clients reach the emulator.
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    POOLER_STATE_TABLE: tables.state,
    POOLER_REQUEST_LOG_TABLE: tables.requestLogs,
    POOLER_SECRET_PREFIX: SECRET_PREFIX,
    POOLER_KMS_KEY_ID: "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555",
    POOLER_ORIGIN_SECRET_ARN: ORIGIN_SECRET_ARN,
    POOLER_METRICS_NAMESPACE: "CodexPooler/test",
    POOLER_SSE_KEEPALIVE_MS: "0",
    POWERTOOLS_SERVICE_NAME: "codex-pooler-test",
    ...extra,
  });
  return {
    dynamo,
    tables,
    client,
    async close() {
      client.destroy();
      await dynamo.close();
    },
  };
}

/** Captures stdout and stderr lines (Powertools logs, EMF metrics) instead of printing them. */
export function captureOutput(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write.bind(s));
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(line);
      const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  }
  return {
    lines,
    restore() {
      streams.forEach((stream, i) => {
        stream.write = originals[i] as typeof stream.write;
      });
    },
  };
}

const TABLE_ACTIONS: Record<string, string> = {
  GetCommand: "GetItem",
  GetItemCommand: "GetItem",
  PutCommand: "PutItem",
  PutItemCommand: "PutItem",
  UpdateCommand: "UpdateItem",
  UpdateItemCommand: "UpdateItem",
  DeleteCommand: "DeleteItem",
  DeleteItemCommand: "DeleteItem",
  QueryCommand: "Query",
  ScanCommand: "Scan",
  BatchWriteCommand: "BatchWriteItem",
  BatchWriteItemCommand: "BatchWriteItem",
  BatchGetCommand: "BatchGetItem",
  TransactWriteCommand: "TransactWriteItems",
  DescribeTableCommand: "DescribeTable",
};

/**
 * Records every DynamoDB and Secrets Manager call the entries make, attributed to the entry being
 * invoked, so tests can hold them to the IAM grants the stack gives that function (lib/grants.ts).
 */
export class AwsCallRecorder {
  readonly calls = new Map<string, Set<string>>();
  /** The entry being invoked, per async context (entries may run concurrently, e.g. a worker). */
  readonly #current = new AsyncLocalStorage<GrantedFunction>();
  #restore: () => void;

  constructor(private readonly tables: TableNames) {
    // The smithy Client.send every DynamoDB call (document client included) goes through once.
    const base = Object.getPrototypeOf(DynamoDBClient.prototype) as { send: (...args: any[]) => unknown };
    const original = base.send;
    const recorder = this;
    base.send = function (
      this: unknown,
      command: { constructor: { name: string }; input: Record<string, any> },
      ...rest: unknown[]
    ) {
      if (this instanceof DynamoDBClient || this instanceof DynamoDBDocumentClient) recorder.#table(command);
      return original.call(this, command, ...rest);
    };
    this.#restore = () => {
      base.send = original;
    };
  }

  /** Wraps an entry so calls made while it runs are attributed to `name`. */
  as<T>(name: GrantedFunction, handler: T): T {
    return ((...args: unknown[]) =>
      this.#current.run(name, () => (handler as (...a: unknown[]) => Promise<unknown>)(...args))) as T;
  }

  secret(action: string, secretId: string): void {
    this.#add(secretId === ORIGIN_SECRET_ARN ? `origin:${action}` : `secrets:${action}`);
  }

  /** Calls outside the function's grants (empty when it stays within them). */
  outsideGrants(name: GrantedFunction): string[] {
    const grants = FUNCTION_GRANTS[name];
    const allowed = new Set<string>([
      ...grants.state.map((a) => `state:${a}`),
      ...grants.requestLogs.map((a) => `requestLogs:${a}`),
      ...grants.secrets.map((a) => `secrets:${a}`),
      ...(grants.originSecret ? ["origin:GetSecretValue"] : []),
    ]);
    return [...(this.calls.get(name) ?? [])].filter((call) => !allowed.has(call));
  }

  restore(): void {
    this.#restore();
  }

  #table(command: { constructor: { name: string }; input: Record<string, any> }): void {
    const action = TABLE_ACTIONS[command.constructor.name] ?? command.constructor.name;
    const names: string[] = command.input.TableName
      ? [command.input.TableName]
      : Object.keys(command.input.RequestItems ?? command.input.TransactItems ?? {});
    for (const name of names) {
      const table =
        name === this.tables.state ? "state" : name === this.tables.requestLogs ? "requestLogs" : name;
      this.#add(`${table}:${action}`);
    }
  }

  #add(call: string): void {
    const current = this.#current.getStore();
    if (!current) return;
    const set = this.calls.get(current) ?? new Set<string>();
    set.add(call);
    this.calls.set(current, set);
  }
}

export interface LambdaHarness {
  fake: FakeUpstream;
  env: LambdaTestEnvironment;
  recorder: AwsCallRecorder;
  secrets: ReturnType<typeof mockSecretsManager>;
  /** Every line the entries logged (Powertools logs, EMF metrics). */
  output: { lines: string[] };
  /** The IAM admin entry (lambdas/admin.ts), as `pooler --aws --url <AdminUrl>` reaches it. */
  iamAdmin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Imports an entry (after the environment is set) with its calls recorded under its grants. */
  entry<T = unknown>(name: GrantedFunction, load: () => Promise<{ handler: unknown }>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The AWS side of an entry test: the fake upstream, the embedded DynamoDB with the environment the
 * stack sets, Secrets Manager mocked (origin secret in place), output captured, every AWS call
 * recorded per entry, and the IAM admin entry for seeding.
 */
export async function startLambdaHarness(extra: Record<string, string> = {}): Promise<LambdaHarness> {
  const fake = await startFakeUpstream();
  const env = await lambdaEnvironment({
    CODEX_UPSTREAM_BASE_URL: fake.upstreamBaseUrl,
    CODEX_AUTH_BASE_URL: fake.authBaseUrl,
    ...extra,
  });
  const recorder = new AwsCallRecorder(env.tables);
  const secrets = mockSecretsManager({ [ORIGIN_SECRET_ARN]: ORIGIN_VALUE }, recorder);
  const output = captureOutput();
  const admin = recorder.as("admin", (await import("../../lambdas/admin.ts")).handler);
  return {
    fake,
    env,
    recorder,
    secrets,
    output,
    async iamAdmin(method, path, body) {
      const [pathname = "", query] = path.split("?");
      const out = await invoke(admin, {
        method,
        path: `/admin/v1${pathname}`,
        query,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        iam: OPERATOR,
      });
      return { status: out.prelude().statusCode, body: out.json() };
    },
    async entry<T>(name: GrantedFunction, load: () => Promise<{ handler: unknown }>) {
      return recorder.as(name, (await load()).handler) as T;
    },
    async close() {
      recorder.restore();
      output.restore();
      secrets.mock.restore();
      await fake.close();
      await env.close();
    },
  };
}

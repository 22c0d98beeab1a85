// The admin entry (lambdas/admin.ts): a function URL with AWS_IAM auth, so Lambda has verified the
// caller before the handler runs and the IAM identity in the request context is the audit actor.
// The pooler CLI signs with SigV4 when pointed at a function URL; a verifier written from the AWS
// SigV4 specification (independent of the signing library) checks what it sends.
import { createHash, createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClient } from "../src/cli/admin-client.ts";
import { runCli } from "../src/cli/program.ts";
import { sigv4Signer } from "../src/cli/sigv4.ts";
import {
  AwsCallRecorder,
  captureOutput,
  functionUrlEvent,
  invoke,
  type LambdaTestEnvironment,
  lambdaContext,
  lambdaEnvironment,
  MockResponseStream,
  mockSecretsManager,
  OPERATOR,
  ORIGIN_SECRET_ARN,
  ORIGIN_VALUE,
} from "./helpers/lambda.ts";

const ADMIN_HOST = "abcdefghijklmnop.lambda-url.us-east-1.on.aws";
const CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLEOPERATOR",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};

let env: LambdaTestEnvironment;
let secrets: ReturnType<typeof mockSecretsManager>;
let stdout: ReturnType<typeof captureOutput>;
let admin: unknown;
let recorder: AwsCallRecorder;

beforeAll(async () => {
  env = await lambdaEnvironment();
  recorder = new AwsCallRecorder(env.tables);
  secrets = mockSecretsManager({ [ORIGIN_SECRET_ARN]: ORIGIN_VALUE }, recorder);
  stdout = captureOutput();
  // The stack parameter IamPoolAdmins: this caller is a Pool admin of iam-pool; everyone else an owner.
  process.env.POOLER_IAM_POOL_ADMINS = `${POOL_ADMIN_ARN}=iam-pool;arn:aws:sts::123456789012:assumed-role/Other/*=elsewhere`;
  admin = recorder.as("admin", (await import("../lambdas/admin.ts")).handler);
});

afterAll(async () => {
  delete process.env.POOLER_IAM_POOL_ADMINS;
  recorder?.restore();
  stdout?.restore();
  secrets?.mock.restore();
  await env?.close();
});

const call = (input: Parameters<typeof invoke>[1]) => invoke(admin, input);
const POOL_ADMIN_ARN = "arn:aws:iam::123456789012:user/pool-admin-bob";

describe("admin function URL (IAM)", () => {
  it("records the IAM caller from the request context as the audit actor", async () => {
    // Act
    const created = await call({
      method: "POST",
      path: "/admin/v1/pools",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "iam-pool" }),
      iam: OPERATOR,
    });
    const audit = await call({ path: "/admin/v1/audit-events", query: "limit=10", iam: OPERATOR });

    // Assess
    expect(created.prelude().statusCode).toBe(201);
    const event = audit.json().data.find((e: { action: string }) => e.action === "pool.create");
    expect(event.actor).toBe(`iam:${OPERATOR.userArn}`);
  });

  it("maps an IAM caller named in IamPoolAdmins to a Pool admin of its Pools; others stay owners", async () => {
    const bob = { ...OPERATOR, userArn: POOL_ADMIN_ARN };
    expect(
      (
        await call({
          method: "POST",
          path: "/admin/v1/pools",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name: "iam-other" }),
          iam: OPERATOR,
        })
      ).prelude().statusCode,
    ).toBe(201);
    const who = await call({ path: "/admin/v1/whoami", iam: bob });
    expect(who.json()).toEqual({ actor: `iam:${POOL_ADMIN_ARN}`, role: "pool_admin", pools: ["iam-pool"] });
    const pools = await call({ path: "/admin/v1/pools", iam: bob });
    expect(pools.json().data.map((p: { name: string }) => p.name)).toEqual(["iam-pool"]);
    const settings = await call({ path: "/admin/v1/settings", iam: bob });
    expect(settings.prelude().statusCode).toBe(403);
    expect(settings.json().error).toMatchObject({ code: "insufficient_scope", param: "owner" });
    const other = await call({ path: "/admin/v1/pools/iam-other", iam: bob });
    expect(other.json().error.param).toBe("pool:iam-other");
    expect((await call({ path: "/admin/v1/whoami", iam: OPERATOR })).json().role).toBe("owner");
  });

  it("refuses a request without an IAM identity", async () => {
    const out = await call({ path: "/admin/v1/pools" });
    expect(out.prelude().statusCode).toBe(401);
  });

  it("ignores a forged identity header: only the request context counts", async () => {
    const out = await call({
      path: "/admin/v1/pools",
      headers: { "x-amzn-iam-user-arn": OPERATOR.userArn! },
    });
    expect(out.prelude().statusCode).toBe(401);
  });

  it("stays within the IAM grants the stack gives the admin function", async () => {
    // An import writes the account's tokens to Secrets Manager: create, tag, read back.
    const { startFakeUpstream } = await import("./fake-upstream/index.ts");
    const fake = await startFakeUpstream();
    try {
      const account = fake.createAccount();
      const imported = await call({
        method: "POST",
        path: "/admin/v1/accounts/import",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ pool: "iam-pool", authJson: account.authJson }),
        iam: OPERATOR,
      });
      expect(imported.prelude().statusCode).toBe(201);
      const id = imported.json().account.id;
      const removed = await call({ method: "DELETE", path: `/admin/v1/accounts/${id}`, iam: OPERATOR });
      expect(removed.prelude().statusCode).toBeLessThan(300);
    } finally {
      await fake.close();
    }
    expect(recorder.calls.get("admin")).toContain("secrets:CreateSecret");
    expect(recorder.calls.get("admin")).toContain("secrets:DeleteSecret");
    expect(recorder.outsideGrants("admin")).toEqual([]);
  });

  it("serves only the admin API", async () => {
    const out = await call({
      method: "POST",
      path: "/backend-api/codex/responses",
      body: "{}",
      iam: OPERATOR,
    });
    expect(out.prelude().statusCode).toBe(404);
    expect(out.json().error.message).toContain("/admin/v1");
  });
});

/** A function URL in front of the admin handler: verifies SigV4 as Lambda would, then invokes. */
function functionUrlFetch(received: { url: string; headers: Record<string, string> }[]): typeof fetch {
  return (async (input: string | URL, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const headers = Object.fromEntries(
      Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
    );
    received.push({ url: url.toString(), headers });
    const body = typeof init.body === "string" ? init.body : undefined;
    if (!verifySigV4({ method: init.method ?? "GET", url, headers, body })) {
      return new Response(JSON.stringify({ Message: "Forbidden" }), { status: 403 });
    }
    const stream = new MockResponseStream();
    await (admin as (e: unknown, s: unknown, c: unknown) => Promise<void>)(
      functionUrlEvent({
        method: init.method ?? "GET",
        path: url.pathname,
        query: url.search.slice(1),
        headers,
        body,
        domain: url.host,
        iam: { ...OPERATOR, accessKey: CREDENTIALS.accessKeyId },
      }),
      stream,
      lambdaContext(),
    );
    const prelude = stream.prelude();
    return new Response(stream.body(), { status: prelude.statusCode, headers: prelude.headers });
  }) as typeof fetch;
}

describe("pooler CLI with SigV4", () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) } };
  };

  it("signs requests to a function URL instead of sending a bearer token", async () => {
    // Prepare
    const received: { url: string; headers: Record<string, string> }[] = [];
    const { out, err, io: cliIO } = io();

    // Act
    const code = await runCli(["--url", `https://${ADMIN_HOST}`, "--json", "pool", "create", "signed-pool"], {
      io: cliIO,
      env: {},
      stdin: process.stdin,
      fetch: functionUrlFetch(received),
      awsCredentials: async () => CREDENTIALS,
    } as never);

    // Assess
    expect(err.join("")).toBe("");
    expect(code).toBe(0);
    expect(JSON.parse(out.join("")).name ?? JSON.parse(out.join("")).pool?.name).toBe("signed-pool");
    const [request] = received;
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLEOPERATOR\/\d{8}\/us-east-1\/lambda\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(request?.headers["x-amz-date"]).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it("signs a query with spaces and reserved characters so AWS's canonical form matches", async () => {
    const received: { url: string; headers: Record<string, string> }[] = [];
    const client = new AdminClient({
      baseUrl: `https://${ADMIN_HOST}`,
      token: "",
      signer: sigv4Signer({ region: "us-east-1", credentials: async () => CREDENTIALS }),
      fetch: functionUrlFetch(received),
    });
    const error = await client.get("/admin/v1/audit-events", { limit: 5, cursor: "a b*c~d+e" }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(received[0]?.url).toContain("cursor=a%20b");
    // The request got past the signature check to the gateway, which rejects the made-up cursor.
    expect(error?.message).not.toContain("refused by AWS");
    expect(error?.message).toMatch(/cursor/i);
  });

  it("fails with a clear message when AWS refuses the signature", async () => {
    const { err, io: cliIO } = io();
    const code = await runCli(["--url", `https://${ADMIN_HOST}`, "pool", "list"], {
      io: cliIO,
      env: {},
      stdin: process.stdin,
      fetch: functionUrlFetch([]),
      // Signed with a different secret than the verifier expects.
      awsCredentials: async () => ({ ...CREDENTIALS, secretAccessKey: "not-the-right-secret" }),
    } as never);
    expect(code).toBe(1);
    expect(err.join("")).toContain("AdminInvokePolicy");
  });

  it("keeps the bearer token for the local host", async () => {
    const received: Record<string, string>[] = [];
    const { io: cliIO } = io();
    await runCli(["--url", "http://127.0.0.1:9", "pool", "list"], {
      io: cliIO,
      env: { POOLER_ADMIN_TOKEN: "adm-cxp-000000000000-local-token-value" },
      stdin: process.stdin,
      fetch: (async (_url: string, init: RequestInit) => {
        received.push(init.headers as Record<string, string>);
        return Response.json({ data: [] });
      }) as never,
    } as never);
    expect(received[0]?.authorization).toBe("Bearer adm-cxp-000000000000-local-token-value");
    expect(received[0]?.["x-amz-date"]).toBeUndefined();
  });
});

// --- SigV4 verification from the specification (AWS "Create a signed AWS API request") ------------

const hex = (data: string) => createHash("sha256").update(data, "utf8").digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data, "utf8").digest();
const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function verifySigV4(request: {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}): boolean {
  const auth =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      request.headers.authorization ?? "",
    );
  if (!auth) return false;
  const [, accessKey, date, region, service, signedHeaders, signature] = auth as unknown as string[];
  if (accessKey !== CREDENTIALS.accessKeyId || service !== "lambda") return false;
  const amzDate = request.headers["x-amz-date"] ?? "";
  const headers: Record<string, string> = { ...request.headers, host: request.url.host };
  const canonicalHeaders = signedHeaders!
    .split(";")
    .map((name) => `${name}:${(headers[name] ?? "").trim().replace(/\s+/g, " ")}\n`)
    .join("");
  // Lambda (like every non-S3 service) encodes the already-encoded path once more.
  const path = request.url.pathname
    .split("/")
    .map((segment) => rfc3986(segment))
    .join("/");
  // The raw query as received: '+' is a literal plus here, not a space.
  const query = request.url.search
    .slice(1)
    .split("&")
    .filter(Boolean)
    .map((pair) => pair.split("=").map((part) => rfc3986(decodeURIComponent(part ?? ""))))
    .sort(([a, av], [b, bv]) => (a! < b! ? -1 : a! > b! ? 1 : av! < bv! ? -1 : 1))
    .map(([k, v]) => `${k}=${v ?? ""}`)
    .join("&");
  const canonical = [
    request.method,
    path,
    query,
    canonicalHeaders,
    signedHeaders,
    hex(request.body ?? ""),
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, hex(canonical)].join("\n");
  let key: Buffer = hmac(`AWS4${CREDENTIALS.secretAccessKey}`, date!);
  for (const part of [region!, service!, "aws4_request"]) key = hmac(key, part);
  return createHmac("sha256", key).update(toSign, "utf8").digest("hex") === signature;
}

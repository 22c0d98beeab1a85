// The /v1 ingress order and the deterministic unsupported-endpoint answers: auth first, then the
// exact 404 body whatever the body was, with no upstream call and no request-log row.
import { request as httpRequest } from "node:http";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { NO_KEEPALIVE, useTestGateway } from "./helpers/gateway.ts";
import { openaiFor } from "./helpers/openai.ts";

const UNSUPPORTED = {
  error: {
    message: "Unsupported OpenAI /v1 endpoint",
    type: "invalid_request_error",
    code: "unsupported_endpoint",
    param: null,
  },
};

const ROUTES: [method: string, path: string][] = [
  ["POST", "/v1/embeddings"],
  ["POST", "/v1/batches"],
  ["GET", "/v1/batches"],
  ["GET", "/v1/batches/batch_123"],
  ["POST", "/v1/batches/batch_123/cancel"],
  ["POST", "/v1/moderations"],
  ["POST", "/v1/fine_tuning/jobs"],
  ["GET", "/v1/fine_tuning/jobs"],
  ["GET", "/v1/fine_tuning/jobs/ftjob_1/events"],
  ["POST", "/v1/fine_tuning/jobs/ftjob_1/cancel"],
  ["POST", "/v1/images/variations"],
  ["GET", "/v1/responses/resp_123"],
  ["POST", "/v1/responses/resp_123/cancel"],
  ["DELETE", "/v1/responses/resp_123"],
  ["POST", "/v1/responses/compact"],
  ["GET", "/v1/files/file-abc/content"],
  ["DELETE", "/v1/files/file-abc"],
  ["POST", "/v1/realtime"],
  ["GET", "/v1/realtime"],
  ["POST", "/v1/realtime/sessions"],
  ["POST", "/v1/realtime/client_secrets"],
];

const { gw, seeded } = useTestGateway({ env: NO_KEEPALIVE, seed: { accounts: 1 } });

const call = (
  method: string,
  path: string,
  key?: string,
  body?: string,
  headers: Record<string, string> = {},
) =>
  fetch(`${gw.url}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: method === "GET" || method === "HEAD" ? undefined : body,
  });

async function logCount(keyId: string): Promise<number> {
  const { body } = await gw.admin("GET", `/request-logs?key=${keyId}&limit=100`);
  return body.data.length;
}

describe("unsupported /v1 endpoints", () => {
  it.each(ROUTES)("%s %s answers the exact 404 without touching the upstream", async (method, path) => {
    const upstreamBefore = gw.fake.requests.length;
    for (const body of [undefined, "{not json", JSON.stringify({ model: "gpt-5.5", input: "x" })]) {
      const response = await call(method, path, seeded.key, body, { "content-type": "application/json" });
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toContain("application/json");
      expect(await response.text()).toBe(JSON.stringify(UNSUPPORTED));
    }
    expect(gw.fake.requests.length).toBe(upstreamBefore);
  });

  it("writes no request-log row for any of them", async () => {
    const fresh = await gw.seed({ accounts: 1 });
    for (const [method, path] of ROUTES) await (await call(method, path, fresh.key, "{")).text();
    // A served request afterwards proves the log pipeline is running, so zero rows is meaningful.
    const served = await call("GET", "/v1/usage", fresh.key);
    expect(served.status).toBe(200);
    await (
      await call(
        "POST",
        "/v1/chat/completions",
        fresh.key,
        JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] }),
        {
          "content-type": "application/json",
        },
      )
    ).text();
    const rows = await gw.requestLogs(fresh.keyId);
    expect(rows.map((r: { route: string }) => r.route)).toEqual(["/v1/chat/completions"]);
  });

  it("does not read a large body before answering", async () => {
    const big = "x".repeat(9 * 1024 * 1024);
    const response = await call("POST", "/v1/embeddings", seeded.key, big);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual(UNSUPPORTED);
  });

  it("matches percent-encoded spellings of the same path", async () => {
    const response = await call("POST", "/v1/%69mages/variations", seeded.key, "{");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual(UNSUPPORTED);
  });

  it("refuses a WebSocket upgrade on /v1/realtime with the same body", async () => {
    const port = new URL(gw.url).port;
    const result = await new Promise<{ status: number; body: string; upgraded: boolean }>(
      (resolve, reject) => {
        const req = httpRequest({
          host: "127.0.0.1",
          port,
          path: "/v1/realtime?model=gpt-5.5",
          headers: {
            authorization: `Bearer ${seeded.key}`,
            connection: "Upgrade",
            upgrade: "websocket",
            "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
            "sec-websocket-version": "13",
          },
        });
        req.on("upgrade", (_res, socket) => {
          socket.destroy();
          resolve({ status: 101, body: "", upgraded: true });
        });
        req.on("response", (res) => {
          let body = "";
          res.on("data", (chunk) => {
            body += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body, upgraded: false }));
        });
        req.on("error", reject);
        req.end();
      },
    );
    expect(result.upgraded).toBe(false);
    expect(result.status).toBe(404);
    expect(JSON.parse(result.body)).toEqual(UNSUPPORTED);
  });

  it("gives the exact body through the SDK's raw request path", async () => {
    const client = openaiFor(gw, seeded.key);
    const attempts: [string, () => Promise<unknown>][] = [
      ["embeddings", () => client.embeddings.create({ model: "text-embedding-3-small", input: "x" })],
      ["moderations", () => client.moderations.create({ input: "x" })],
      ["batches", () => client.batches.list()],
      ["fine-tuning", () => client.fineTuning.jobs.create({ model: "gpt-4o-mini", training_file: "file-x" })],
      ["responses.retrieve", () => client.responses.retrieve("resp_123")],
      ["responses.cancel", () => client.responses.cancel("resp_123")],
      ["responses.delete", () => client.responses.delete("resp_123")],
      ["files.content", () => client.files.content("file-abc")],
      ["files.delete", () => client.files.delete("file-abc")],
      ["raw post", () => client.post("/responses/compact", { body: { model: "gpt-5.5" } })],
    ];
    for (const [name, attempt] of attempts) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(OpenAI.NotFoundError);
      expect((error as InstanceType<typeof OpenAI.NotFoundError>).error, name).toEqual(UNSUPPORTED.error);
    }
  });
});

describe("/v1 auth comes first", () => {
  it.each([
    ["POST", "/v1/embeddings"],
    ["GET", "/v1/models"],
    ["POST", "/v1/chat/completions"],
    ["GET", "/v1/no-such-thing"],
  ])("%s %s without a key is a 401", async (method, path) => {
    const response = await call(method, path, undefined, "{");
    expect(response.status).toBe(401);
    expect((await response.json()).error).toMatchObject({
      code: "api_key_missing",
      type: "invalid_request_error",
    });
  });

  it("a paused key gets 401 api_key_disabled, even on an unsupported route", async () => {
    const paused = await gw.seed({ accounts: 1 });
    expect((await gw.admin("POST", `/keys/${paused.keyId}/pause`)).status).toBe(200);
    for (const [method, path] of [
      ["POST", "/v1/embeddings"],
      ["POST", "/v1/chat/completions"],
    ] as const) {
      const response = await call(method, path, paused.key, "{}");
      expect(response.status).toBe(401);
      expect((await response.json()).error.code).toBe("api_key_disabled");
    }
    expect(await logCount(paused.keyId)).toBe(0);
  });

  it("any other /v1 path is a 404 not_found in the same envelope", async () => {
    for (const [method, path] of [
      ["GET", "/v1/no-such-thing"],
      ["GET", "/v1/embeddings"],
      ["POST", "/v1/assistants"],
    ] as const) {
      const response = await call(method, path, seeded.key);
      expect(response.status).toBe(404);
      const body = await response.json();
      expect(body.error).toMatchObject({ code: "not_found", type: "invalid_request_error", param: null });
      expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
    }
  });
});

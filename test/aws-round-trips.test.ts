// The AWS round trips a runtime Lambda instance waits for before it calls the upstream (issue 18):
// each instance here is its own host (clients, caches, a clock the test moves) serving the real
// handler, with every DynamoDB and Secrets Manager call held and released in rounds
// (helpers/aws-round-trips.ts), so the counts are exact and nothing is timed. Also the guarantees
// the caches keep: a paused or revoked key stops within the stated bound, a previous_response_id
// pin still wins.
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentClient, localEmulatorClient } from "../src/adapters/dynamodb/dynamo-store.ts";
import { KEY_STALE_MS } from "../src/core/keys/credentials.ts";
import type { FakeUpstream } from "./fake-upstream/index.ts";
import { type GatedInstance, gatedRuntimeInstance } from "./helpers/aws-round-trips.ts";
import { TEXT_TURN_BODY } from "./helpers/gateway.ts";
import { type LambdaHarness, ORIGIN_SECRET_ARN, ORIGIN_VALUE, startLambdaHarness } from "./helpers/lambda.ts";

let aws: LambdaHarness;
let fake: FakeUpstream;
let pool: string;
let accounts: string[];

/** A Codex turn as the CLI sends it: a session header and a prompt cache key. */
function turn(key: string, session: string, extra: Record<string, unknown> = {}) {
  return {
    method: "POST",
    path: "/backend-api/codex/responses",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${key}`,
      "x-origin-verify": ORIGIN_VALUE,
      session_id: session,
    },
    body: JSON.stringify({ ...TEXT_TURN_BODY, prompt_cache_key: session, ...extra }),
    base64: true,
  };
}

async function newKey(
  label: string,
  policy?: Record<string, unknown>,
): Promise<{ id: string; secret: string }> {
  const created = await aws.iamAdmin("POST", "/keys", { pool, label, ...(policy ? { policy } : {}) });
  expect(created.status).toBe(201);
  return { id: created.body.key.id, secret: created.body.secret };
}

const status = (calls: { out: { prelude(): { statusCode: number } } }) => calls.out.prelude().statusCode;
/** Writes by action, sorted: `{ UpdateItem: 3, BatchWriteItem: 1 }`. */
const byAction = (writes: string[]) => {
  const out: Record<string, number> = {};
  for (const w of writes.map((c) => c.replace(/^dynamodb:/, "")).sort()) out[w] = (out[w] ?? 0) + 1;
  return out;
};
const isWrite = (c: string) => /:(Put|Update|BatchWrite|Delete)Item$/.test(c);
/** Which account served the turn just made (the one whose count grew). */
function servedBy(counts: Map<string, number>): string | undefined {
  return accounts.find((acc) => fake.responsesFor(acc).length > (counts.get(acc) ?? 0));
}
const servedCounts = () => new Map(accounts.map((acc) => [acc, fake.responsesFor(acc).length]));
const responseId = (body: string) => /"id":"(resp_[^"]+)"/.exec(body)?.[1];

beforeAll(async () => {
  aws = await startLambdaHarness();
  fake = aws.fake;
  pool = "round-trips";
  expect((await aws.iamAdmin("POST", "/pools", { name: pool })).status).toBe(201);
  accounts = [];
  for (const label of ["a", "b"]) {
    const account = fake.createAccount();
    const imported = await aws.iamAdmin("POST", "/accounts/import", {
      pool,
      authJson: account.authJson,
      label,
    });
    expect(imported.status).toBe(201);
    accounts.push(account.accountId);
  }
});

afterAll(async () => {
  await aws?.close();
});

describe("AWS round trips before the upstream request", () => {
  let instance: GatedInstance;
  let key: { id: string; secret: string };

  beforeAll(async () => {
    key = await newKey("round-trips");
    instance = gatedRuntimeInstance();
  });

  it("cold: at most three (origin secret with the key, the Pool's state, tokens with the pins)", async () => {
    const calls = await instance.turn(turn(key.secret, "session-cold"));

    expect(status(calls)).toBe(200);
    expect(calls.rounds).toBeLessThanOrEqual(3);
    // The origin secret's previous version is not read when the header matches the current one.
    expect(calls.before.filter((c) => c === "secrets:GetSecretValue").length).toBeLessThanOrEqual(3);
    // Nothing is written before the client's first byte.
    expect(calls.beforeFirstByte.filter(isWrite)).toEqual([]);
    // After the stream: the Pool's and the key × account usage items, the key's week item, and the
    // once-a-minute stamps of the account (with its quota evidence) and of the key; the pins (response,
    // session, prompt cache) and the request-log row in one batch.
    expect(byAction(calls.writes)).toEqual({ BatchWriteItem: 1, UpdateItem: 5 });
  });

  it("warm, back to back: none for a session this instance served, at most one for a new one", async () => {
    const again = await instance.turn(turn(key.secret, "session-cold"));
    const counts = servedCounts();
    const fresh = await instance.turn(turn(key.secret, "session-new"));
    const freshAccount = servedBy(counts);

    expect(status(again)).toBe(200);
    expect(again.rounds).toBe(0);
    expect(again.before).toEqual([]);
    // Four writes per turn, all after the first byte: two usage items, the key's week item, and the
    // request-log row with the pins in one BatchWriteItem.
    expect(again.beforeFirstByte.filter(isWrite)).toEqual([]);
    expect(byAction(again.writes)).toEqual({ BatchWriteItem: 1, UpdateItem: 3 });
    expect(status(fresh)).toBe(200);
    expect(fresh.rounds).toBeLessThanOrEqual(1);
    expect(fresh.beforeFirstByte.filter(isWrite)).toEqual([]);
    // A new session may land on the other account: its first turn here stamps it (once a minute).
    // (So far only this instance's two turns were served, both by one account.)
    const firstOnAccount = freshAccount !== accounts.find((acc) => counts.get(acc) !== 0);
    expect(byAction(fresh.writes)).toEqual({ BatchWriteItem: 1, UpdateItem: firstOnAccount ? 4 : 3 });
  });

  it("warm after idle (every short cache expired): still at most one, reads go on in the background", async () => {
    instance.advance(6_000);

    const calls = await instance.turn(turn(key.secret, "session-idle"));

    expect(status(calls)).toBe(200);
    expect(calls.rounds).toBeLessThanOrEqual(1);
    // The key, settings, Pool, accounts and routing state were re-read, off the request's path.
    expect(calls.before.filter((c) => c.startsWith("dynamodb:")).length).toBeGreaterThan(1);
    expect(calls.beforeFirstByte.filter(isWrite)).toEqual([]);
  });

  it("after a long idle (past every stale bound): one round for the key and one for the rest", async () => {
    instance.advance(KEY_STALE_MS + 1_000);

    const calls = await instance.turn(turn(key.secret, "session-idle"));

    expect(status(calls)).toBe(200);
    expect(calls.rounds).toBeLessThanOrEqual(2);
  });
});

describe("guarantees under stale-while-revalidate", () => {
  it(`a paused key stops on another warm instance after one background re-read, and within ${KEY_STALE_MS / 1000} s at most`, async () => {
    // Prepare: a warm instance that has served the key.
    const key = await newKey("pause-me");
    const instance = gatedRuntimeInstance();
    expect(status(await instance.turn(turn(key.secret, "s1")))).toBe(200);

    // Act: paused through the admin function (another instance); this one's entry goes stale.
    expect((await aws.iamAdmin("POST", `/keys/${key.id}/pause`)).status).toBe(200);
    instance.advance(6_000);
    const first = await instance.turn(turn(key.secret, "s1"));
    const second = await instance.turn(turn(key.secret, "s1"));

    // Assess: the first request inside the bound may still pass (it re-reads the key on the side,
    // before the invocation returns); the next one is refused.
    expect([200, 401]).toContain(status(first));
    expect(status(second)).toBe(401);
    expect(second.out.json().error.code).toBe("api_key_disabled");
  });

  it("a revoked key is refused at once on an instance whose entry is older than the bound", async () => {
    // Prepare
    const key = await newKey("revoke-me");
    const instance = gatedRuntimeInstance();
    expect(status(await instance.turn(turn(key.secret, "s2")))).toBe(200);

    // Act
    expect((await aws.iamAdmin("POST", `/keys/${key.id}/revoke`)).status).toBe(200);
    instance.advance(KEY_STALE_MS);
    const calls = await instance.turn(turn(key.secret, "s2"));

    // Assess
    expect(status(calls)).toBe(401);
    expect(calls.out.json().error).toMatchObject({ code: "api_key_disabled" });
  });

  it("a rotated key's new secret works at once on an instance holding the old entry", async () => {
    // Prepare
    const key = await newKey("rotate-me");
    const instance = gatedRuntimeInstance();
    expect(status(await instance.turn(turn(key.secret, "s3")))).toBe(200);

    // Act
    const rotated = await aws.iamAdmin("POST", `/keys/${key.id}/rotate`);
    expect(rotated.status).toBe(200);
    instance.advance(6_000);
    const calls = await instance.turn(turn(rotated.body.secret, "s3"));

    // Assess
    expect(status(calls)).toBe(200);
  });

  it("a previous_response_id pin wins on a warm instance that has never seen it", async () => {
    // Prepare: instance A serves a turn; B is warm (served other turns) and its caches are stale.
    const key = await newKey("pins");
    const a = gatedRuntimeInstance();
    const b = gatedRuntimeInstance();
    const served = new Map(accounts.map((acc) => [acc, fake.responsesFor(acc).length]));
    const first = await a.turn(turn(key.secret, "pinned-session"));
    expect(status(first)).toBe(200);
    const id = responseId(first.out.body());
    expect(id).toBeDefined();
    const servedBy = accounts.find((acc) => fake.responsesFor(acc).length > (served.get(acc) ?? 0));
    expect(servedBy).toBeDefined();
    for (let i = 0; i < 2; i++) expect(status(await b.turn(turn(key.secret, `other-${i}`)))).toBe(200);
    b.advance(6_000);

    // Act: follow-ups with the pin, from other sessions, on B; the ring would spread them by session.
    const counts = new Map(accounts.map((acc) => [acc, fake.responsesFor(acc).length]));
    for (let i = 0; i < 3; i++) {
      const calls = await b.turn(turn(key.secret, `follow-${i}`, { previous_response_id: id }));
      expect(status(calls)).toBe(200);
      expect(calls.rounds).toBeLessThanOrEqual(1);
    }

    // Assess: every follow-up went to the account that served the pinned response.
    for (const acc of accounts) {
      const added = fake.responsesFor(acc).length - (counts.get(acc) ?? 0);
      expect(added).toBe(acc === servedBy ? 3 : 0);
    }
  });
});

describe("the origin secret", () => {
  it("reads the previous version only for a header that does not match the current one, once", async () => {
    // Prepare: a fresh instance; the secret was rotated once (CloudFront may still send the old value).
    const entry = aws.secrets.secrets.get(ORIGIN_SECRET_ARN)!;
    aws.secrets.secrets.set(ORIGIN_SECRET_ARN, { current: ORIGIN_VALUE, previous: "the-value-before" });
    const stages = () =>
      aws.secrets.mock
        .commandCalls(GetSecretValueCommand)
        .filter((c) => c.args[0].input.SecretId === ORIGIN_SECRET_ARN)
        .map((c) => c.args[0].input.VersionStage);
    const instance = gatedRuntimeInstance();
    const key = await newKey("origin");
    const before = stages().length;
    try {
      // Act: turns with the current value, then requests with the old one and a forged one.
      expect(status(await instance.turn(turn(key.secret, "o1")))).toBe(200);
      expect(status(await instance.turn(turn(key.secret, "o1")))).toBe(200);
      const current = stages().slice(before);
      const old = await instance.turn({
        ...turn(key.secret, "o1"),
        headers: { ...turn(key.secret, "o1").headers, "x-origin-verify": "the-value-before" },
      });
      const forged = await instance.turn({
        ...turn(key.secret, "o1"),
        headers: { ...turn(key.secret, "o1").headers, "x-origin-verify": "forged" },
      });

      // Assess: the current value alone read AWSCURRENT once; the old value was accepted after one
      // AWSPREVIOUS read, and the forged one refused without another.
      expect(current).toEqual(["AWSCURRENT"]);
      expect(status(old)).toBe(200);
      expect(status(forged)).toBe(403);
      expect(stages().slice(before)).toEqual(["AWSCURRENT", "AWSPREVIOUS"]);
    } finally {
      aws.secrets.secrets.set(ORIGIN_SECRET_ARN, entry);
    }
  });
});

describe("per-turn writes of a key with limits", () => {
  it("admission is the one write before the first byte: one conditional update of the key's week item", async () => {
    // Prepare: a warm instance, a key with a rate and a token limit.
    const key = await newKey("limited", { requestsPerMinute: 100, tokensPerDay: 1_000_000 });
    const instance = gatedRuntimeInstance();
    expect(status(await instance.turn(turn(key.secret, "limited")))).toBe(200);

    // Act
    const calls = await instance.turn(turn(key.secret, "limited"));

    // Assess: the check is one conditional write (it must come before the upstream, to refuse there);
    // the rest waits for the stream as for any key. (Only this instance counts the key, so the form
    // of the update it tries first always fits the minute slot.)
    expect(status(calls)).toBe(200);
    expect(calls.rounds).toBe(1);
    expect(byAction(calls.before.filter(isWrite))).toEqual({ UpdateItem: 1 });
    expect(byAction(calls.writes)).toEqual({ BatchWriteItem: 1, UpdateItem: 4 });
  });
});

describe("usage items of the earlier layout", () => {
  it("are read beside the new ones: the key and account views sum both", async () => {
    // Prepare: a turn counted in the new layout, and items as the previous version wrote them today.
    const key = await newKey("layouts");
    const instance = gatedRuntimeInstance();
    const counts = servedCounts();
    expect(status(await instance.turn(turn(key.secret, "layouts")))).toBe(200);
    const upstreamId = servedBy(counts);
    const listed = await aws.iamAdmin("GET", `/accounts?pool=${pool}`);
    const account = listed.body.data.find(
      (a: { label: string }) => a.label === (upstreamId === accounts[0] ? "a" : "b"),
    );
    const before = await aws.iamAdmin("GET", `/usage?groupBy=account&pool=${pool}`);
    const accountBefore = before.body.data.find((r: { group: string }) => r.group === account.id);
    const day = new Date().toISOString().slice(0, 10);
    const db = documentClient(localEmulatorClient(aws.env.dynamo.endpoint));
    const old = {
      day,
      pool,
      model: "gpt-5.5",
      requests: 5,
      errors: 1,
      status2xx: 4,
      status5xx: 1,
      totalTokens: 100,
    };
    await db.send(
      new PutCommand({
        TableName: aws.env.tables.state,
        Item: { pk: `ROLLUP#${day}`, sk: `key#${key.id}#gpt-5.5`, dimension: "key", keyId: key.id, ...old },
      }),
    );
    await db.send(
      new PutCommand({
        TableName: aws.env.tables.state,
        Item: {
          pk: `ROLLUP#${day}`,
          sk: `account#${pool}#${account.id}#gpt-5.5`,
          dimension: "account",
          accountId: account.id,
          ...old,
        },
      }),
    );

    // Act
    const byKey = await aws.iamAdmin("GET", `/usage?groupBy=key&key=${key.id}`);
    const byAccount = await aws.iamAdmin("GET", `/usage?groupBy=account&pool=${pool}`);

    // Assess: one request of the new layout plus the five of the old one, for the key and the account.
    expect(byKey.status).toBe(200);
    expect(byKey.body.data).toHaveLength(1);
    expect(byKey.body.data[0]).toMatchObject({ group: key.id, requests: 6, errors: 1 });
    const accountRow = byAccount.body.data.find((r: { group: string }) => r.group === account.id);
    expect(accountRow.requests).toBe(accountBefore.requests + 5);
    expect(accountRow.totalTokens).toBe(accountBefore.totalTokens + 100);
  });
});

// The optional per-Pool concurrency cap on AWS (stack parameter PoolConcurrencyCap →
// POOLER_POOL_CONCURRENCY_CAP), through the runtime entry as Lambda runs it: with a cap of 1, a
// second turn of the Pool while one streams gets 503 server_is_overloaded with Retry-After; another
// Pool is not affected; the slot comes back when the stream ends.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEXT_TURN_BODY, waitFor } from "./helpers/gateway.ts";
import { invoke, type LambdaHarness, ORIGIN_VALUE, startLambdaHarness } from "./helpers/lambda.ts";

let aws: LambdaHarness;
let runtime: unknown;

beforeAll(async () => {
  aws = await startLambdaHarness({ POOLER_POOL_CONCURRENCY_CAP: "1" });
  runtime = await aws.entry("runtime", () => import("../lambdas/runtime.ts"));
});
afterAll(async () => {
  aws?.fake.releasePaused();
  await aws?.close();
});

async function seed(pool: string) {
  expect((await aws.iamAdmin("POST", "/pools", { name: pool })).status).toBe(201);
  const account = aws.fake.createAccount();
  const imported = await aws.iamAdmin("POST", "/accounts/import", { pool, authJson: account.authJson });
  expect(imported.status).toBe(201);
  const key = await aws.iamAdmin("POST", "/keys", { pool });
  return { key: key.body.secret as string, accountId: account.accountId };
}

const turn = (key: string) =>
  invoke(runtime, {
    method: "POST",
    path: "/backend-api/codex/responses",
    headers: {
      "x-origin-verify": ORIGIN_VALUE,
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${key}`,
    },
    body: JSON.stringify(TEXT_TURN_BODY),
  });

describe("per-Pool concurrency cap", () => {
  it("refuses a Pool's second turn while its first streams, and frees the slot when it ends", async () => {
    const capped = await seed("capped");
    const other = await seed("other");
    aws.fake.setDefaultBehavior(capped.accountId, { kind: "text", pauseAfterEvent: 2 });
    const first = turn(capped.key);
    await waitFor(() => aws.fake.responsesFor(capped.accountId).length === 1 || undefined);

    const refused = await turn(capped.key);
    const prelude = refused.prelude() as { statusCode: number; headers: Record<string, string> };
    expect(prelude.statusCode).toBe(503);
    expect(prelude.headers["retry-after"]).toBe("1");
    expect(refused.json().error).toMatchObject({ code: "server_is_overloaded", type: "server_error" });
    expect(aws.fake.responsesFor(capped.accountId)).toHaveLength(1);

    // Another Pool has its own slots.
    const elsewhere = await turn(other.key);
    expect(elsewhere.prelude().statusCode).toBe(200);
    expect(elsewhere.body()).toContain("response.completed");

    aws.fake.setDefaultBehavior(capped.accountId, { kind: "text" });
    aws.fake.releasePaused();
    const done = await first;
    expect(done.prelude().statusCode).toBe(200);
    expect(done.body()).toContain("response.completed");

    const again = await turn(capped.key);
    expect(again.prelude().statusCode).toBe(200);
    expect(again.body()).toContain("response.completed");
  });
});

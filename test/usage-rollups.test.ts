// Daily usage rollups against the real local host: after a mix of requests (successes, upstream
// failures, several keys, models, accounts and Pools, many in parallel) the rollups read through
// `GET /admin/v1/usage`, `/v1/usage` and `pooler usage` match the request logs exactly.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPooler } from "./helpers/cli.ts";
import {
  type Seeded,
  startTestGateway,
  TEXT_TURN_BODY,
  type TestGateway,
  waitFor,
} from "./helpers/gateway.ts";

let gw: TestGateway;
let main: Seeded;
let other: Seeded;
let second: { key: string; keyId: string };
let logs: RequestLogRow[];
let sent = 0;

interface RequestLogRow {
  id: string;
  at: string;
  pool: string | null;
  keyId: string | null;
  accountLabel: string | null;
  model: string | null;
  status: number;
  errorCode: string | null;
  usage: {
    inputTokens: number;
    cachedTokens: number;
    outputTokens: number;
    reasoningTokens: number;
    totalTokens: number;
  } | null;
}

interface Totals {
  requests: number;
  errors: number;
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
}

const zero = (): Totals => ({
  requests: 0,
  errors: 0,
  inputTokens: 0,
  cachedTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  totalTokens: 0,
});

/** What the request logs say, grouped by `by` (the expectation the rollups must meet). */
function expected(rows: RequestLogRow[], by: (r: RequestLogRow) => string): Map<string, Totals> {
  const out = new Map<string, Totals>();
  for (const r of rows) {
    const t = out.get(by(r)) ?? zero();
    t.requests++;
    if (r.status >= 400 || r.errorCode) t.errors++;
    t.inputTokens += r.usage?.inputTokens ?? 0;
    t.cachedTokens += r.usage?.cachedTokens ?? 0;
    t.outputTokens += r.usage?.outputTokens ?? 0;
    t.reasoningTokens += r.usage?.reasoningTokens ?? 0;
    t.totalTokens += r.usage?.totalTokens ?? 0;
    out.set(by(r), t);
  }
  return out;
}

const totalsOf = (row: Record<string, unknown>): Totals => ({
  requests: row.requests as number,
  errors: row.errors as number,
  inputTokens: row.inputTokens as number,
  cachedTokens: row.cachedTokens as number,
  outputTokens: row.outputTokens as number,
  reasoningTokens: row.reasoningTokens as number,
  totalTokens: row.totalTokens as number,
});

async function turn(key: string, model = "gpt-5.5"): Promise<number> {
  sent++;
  const response = await fetch(`${gw.url}/backend-api/codex/responses`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      accept: "text/event-stream",
    },
    body: JSON.stringify({ ...TEXT_TURN_BODY, model }),
  });
  await response.text();
  return response.status;
}

async function allLogs(): Promise<RequestLogRow[]> {
  const rows: RequestLogRow[] = [];
  let cursor: string | null = null;
  do {
    const query = `/request-logs?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const body: { data: RequestLogRow[]; nextCursor: string | null } = (await gw.admin("GET", query)).body;
    rows.push(...body.data);
    cursor = body.nextCursor;
  } while (cursor);
  return rows;
}

async function usage(query: string) {
  const { status, body } = await gw.admin("GET", `/usage?${query}`);
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

function cli(args: string[]) {
  return runPooler(args, {
    env: { POOLER_URL: gw.url, POOLER_ADMIN_TOKEN: gw.adminToken },
    stdin: process.stdin,
  });
}

beforeAll(async () => {
  gw = await startTestGateway();
  main = await gw.seed({ pool: "roll-main", accounts: 2 });
  other = await gw.seed({ pool: "roll-other", accounts: 1 });
  const created = await gw.admin("POST", "/keys", { pool: main.pool, label: "second" });
  expect(created.status).toBe(201);
  second = { key: created.body.secret, keyId: created.body.key.id };

  // Successes on two models and two keys, then upstream failures on every account of the Pool.
  for (let i = 0; i < 3; i++) expect(await turn(main.key)).toBe(200);
  expect(await turn(main.key, "gpt-5.4")).toBe(200);
  expect(await turn(second.key)).toBe(200);
  for (const account of main.accounts) gw.fake.enqueue(account.accountId, { kind: "server_error_500" });
  expect(await turn(second.key)).toBeGreaterThanOrEqual(500);
  gw.fake.enqueue(main.accounts[0]!.accountId, { kind: "response_failed", code: "context_length_exceeded" });
  gw.fake.enqueue(main.accounts[1]!.accountId, { kind: "response_failed", code: "context_length_exceeded" });
  await turn(main.key);
  // A burst in parallel on both Pools: every count must survive concurrent atomic updates.
  const burst = await Promise.all([
    ...Array.from({ length: 24 }, (_, i) =>
      turn(i % 2 ? main.key : second.key, i % 3 ? "gpt-5.5" : "gpt-5.4"),
    ),
    ...Array.from({ length: 8 }, () => turn(other.key)),
  ]);
  expect(burst.every((s) => s === 200)).toBe(true);
  // A row is written only after its rollups, so once every row is visible the rollups are complete.
  logs = await waitFor(async () => {
    const rows = await allLogs();
    return rows.length === sent ? rows : undefined;
  }, 15_000);
});

afterAll(async () => {
  await gw?.stop();
});

describe("daily usage rollups", () => {
  it("match the request logs per key, Pool, account, model and day", async () => {
    const byKey = await usage("groupBy=key");
    const wantKey = expected(logs, (r) => r.keyId ?? "");
    expect(byKey.data.map((r: any) => r.group).sort()).toEqual([...wantKey.keys()].sort());
    for (const row of byKey.data) expect(totalsOf(row), row.group).toEqual(wantKey.get(row.group));
    expect(byKey.data.find((r: any) => r.group === second.keyId)).toMatchObject({
      label: "second",
      pool: main.pool,
      requests: 2 + 12,
    });

    const byPool = await usage("groupBy=pool");
    const wantPool = expected(logs, (r) => r.pool ?? "");
    expect(byPool.data).toHaveLength(2);
    for (const row of byPool.data) expect(totalsOf(row), row.group).toEqual(wantPool.get(row.group));
    expect(byPool.data.find((r: any) => r.group === other.pool).requests).toBe(8);

    const byModel = await usage(`groupBy=model&pool=${main.pool}`);
    const wantModel = expected(
      logs.filter((r) => r.pool === main.pool),
      (r) => r.model ?? "(none)",
    );
    expect(byModel.data.map((r: any) => r.group).sort()).toEqual(["gpt-5.4", "gpt-5.5"]);
    for (const row of byModel.data) expect(totalsOf(row), row.group).toEqual(wantModel.get(row.group));

    // Accounts: rows that reached an account, by label (the rollup keeps the latest label).
    const byAccount = await usage(`groupBy=account&pool=${main.pool}`);
    const wantAccount = expected(
      logs.filter((r) => r.pool === main.pool && r.accountLabel),
      (r) => r.accountLabel ?? "",
    );
    expect(byAccount.data.map((r: any) => r.label).sort()).toEqual([...wantAccount.keys()].sort());
    for (const row of byAccount.data) {
      expect(row.group).toMatch(/^acc_[0-9a-f]{16}$/);
      expect(totalsOf(row), row.label).toEqual(wantAccount.get(row.label));
    }

    const byDay = await usage("groupBy=day");
    const wantDay = expected(logs, (r) => r.at.slice(0, 10));
    expect(byDay.data.map((r: any) => r.group)).toEqual([...wantDay.keys()].sort());
    for (const row of byDay.data) expect(totalsOf(row)).toEqual(wantDay.get(row.group));
    expect(totalsOf(byDay.totals)).toEqual(expected(logs, () => "all").get("all"));
    expect(byDay.totals.requests).toBe(sent);
    expect(byDay.totals.byStatusClass["5xx"]).toBe(logs.filter((r) => r.status >= 500).length);
    expect(byDay.totals.byStatusClass["5xx"]).toBeGreaterThan(0);
  });

  it("filters by key (with or without its Pool) and counts error codes", async () => {
    const mine = await usage(`key=sk-cxp-${second.keyId}&groupBy=model`);
    const want = expected(
      logs.filter((r) => r.keyId === second.keyId),
      (r) => r.model ?? "(none)",
    );
    for (const row of mine.data) expect(totalsOf(row)).toEqual(want.get(row.group));
    expect(mine.filters).toEqual({ pool: null, key: second.keyId });
    const failedCodes = logs.filter((r) => r.keyId === second.keyId && r.errorCode).map((r) => r.errorCode);
    const codes = mine.data.flatMap((r: any) => Object.keys(r.errorCodes));
    expect(failedCodes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(failedCodes));

    const wrongPool = await usage(`key=${second.keyId}&pool=${other.pool}`);
    expect(wrongPool.data).toEqual([]);
    expect(wrongPool.totals.requests).toBe(0);
  });

  it("answers /v1/usage for the calling key from the same rollups", async () => {
    const response = await fetch(`${gw.url}/v1/usage`, { headers: { authorization: `Bearer ${main.key}` } });
    expect(response.status).toBe(200);
    const body = await response.json();
    const today = body.data.at(-1);
    const want = expected(
      logs.filter((r) => r.keyId === main.keyId),
      (r) => r.model ?? "",
    );
    expect(today.results.map((r: any) => r.model)).toEqual([...want.keys()].sort());
    for (const result of today.results) {
      const t = want.get(result.model)!;
      expect(result).toEqual({
        object: "usage.result",
        model: result.model,
        num_model_requests: t.requests,
        num_errors: t.errors,
        input_tokens: t.inputTokens,
        input_cached_tokens: t.cachedTokens,
        output_tokens: t.outputTokens,
        output_reasoning_tokens: t.reasoningTokens,
        total_tokens: t.totalTokens,
      });
    }
  });

  it("validates the range and the grouping", async () => {
    const bad = async (query: string, param: string | null) => {
      const { status, body } = await gw.admin("GET", `/usage?${query}`);
      expect(status, query).toBe(400);
      expect(body.error.param, query).toBe(param);
    };
    await bad(`key=${second.keyId}&groupBy=account`, "groupBy");
    await bad("groupBy=week", "groupBy");
    await bad("since=2025-02-01&until=2025-01-01", "since");
    await bad("since=2020-01-01&until=2025-01-01", "since");
    await bad("since=yesterday", "since");
    await bad("key=nothex", "key");
    await bad("verbose=1", null); // an unknown parameter is refused, not ignored
    const past = await usage("since=2020-01-01&until=2020-01-31");
    expect(past).toMatchObject({ since: "2020-01-01", until: "2020-01-31", data: [] });
  });

  it("renders `pooler usage` as a table with a total row", async () => {
    const { code, stdout, stderr } = await cli(["usage", "--pool", main.pool, "--group-by", "key"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    const header = lines[0]!.trim().split(/\s{2,}/);
    expect(header).toEqual([
      "KEY",
      "LABEL",
      "POOL",
      "REQUESTS",
      "ERRORS",
      "INPUT",
      "CACHED",
      "OUTPUT",
      "REASONING",
      "TOTAL",
    ]);
    const rows = lines.slice(1, -1).map((l) =>
      Object.fromEntries(
        l
          .trim()
          .split(/\s{2,}/)
          .map((c, i) => [header[i], c]),
      ),
    );
    const want = expected(
      logs.filter((r) => r.pool === main.pool),
      (r) => r.keyId ?? "",
    );
    const fmt = (n: number) => n.toLocaleString("en-US");
    for (const keyId of [main.keyId, second.keyId]) {
      const row = rows.find((r) => r.KEY === keyId);
      const t = want.get(keyId)!;
      expect(row, keyId).toMatchObject({
        REQUESTS: fmt(t.requests),
        ERRORS: fmt(t.errors),
        INPUT: fmt(t.inputTokens),
        TOTAL: fmt(t.totalTokens),
        POOL: main.pool,
      });
    }
    const total = rows.find((r) => r.KEY === "total");
    expect(total?.REQUESTS).toBe(fmt(logs.filter((r) => r.pool === main.pool).length));
    expect(lines.at(-1)).toMatch(/^\(UTC days \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}\)$/);

    const empty = await cli(["usage", "--since", "2020-01-01", "--until", "2020-01-02"]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe("No requests counted from 2020-01-01 to 2020-01-02 (UTC days).\n");
    const json = await cli(["--json", "usage", "--group-by", "pool"]);
    expect(JSON.parse(json.stdout).totals.requests).toBe(sent);
  });
});

// OAuth onboarding through the public surfaces (admin API, `pooler account login` as a child process)
// against the real local host and the fake auth server: device-code and browser PKCE logins, their
// failure modes, and that the secret flow state (device_auth_id, PKCE verifier, state) never reaches
// DynamoDB and is gone once a flow ends.
import { createHash } from "node:crypto";
import { PassThrough } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli/program.ts";
import { readSse, startTestGateway, TEXT_TURN_BODY, type TestGateway, waitFor } from "./helpers/gateway.ts";
import { inDynamo as inDynamoOf } from "./helpers/leveldb.ts";
import { startPoolerCli } from "./helpers/process.ts";

const CALLBACK = "http://localhost:1455/auth/callback";

let gw: TestGateway;
/** The gateway's clock runs this far ahead of real time (flow expiry, poll throttling). */
let offsetMs = 0;
const later = (seconds: number) => {
  offsetMs += seconds * 1000;
};
const pool = "oauth";

beforeAll(async () => {
  gw = await startTestGateway(
    { POOLER_SSE_KEEPALIVE_MS: "0" },
    { clock: { now: () => Date.now() + offsetMs } },
  );
  expect((await gw.admin("POST", "/pools", { name: pool })).status).toBe(201);
});
afterAll(async () => {
  await gw?.stop();
});
afterEach(() => {
  offsetMs = 0;
});

const ctx = () => gw.local.gateway.ctx;
const storedFlow = (id: string) => ctx().store.oauthFlows.get(id);
const flowSecret = (id: string) => ctx().secrets.get(`oauth-flows/${id}`, { fresh: true });

/** A pool of its own and a key for it, so a turn can only land on the account a login adds. */
async function freshPool(name: string): Promise<{ pool: string; key: string }> {
  expect((await gw.admin("POST", "/pools", { name })).status).toBe(201);
  const key = await gw.admin("POST", "/keys", { pool: name, label: "oauth-test" });
  expect(key.status).toBe(201);
  return { pool: name, key: key.body.secret };
}

const startDevice = (label?: string, inPool = pool) =>
  gw.admin("POST", "/accounts/oauth/device", { pool: inPool, label });
const pollDevice = (id: string) => gw.admin("POST", `/accounts/oauth/device/${id}/poll`);
const startBrowser = (label?: string, inPool = pool) =>
  gw.admin("POST", "/accounts/oauth/browser", { pool: inPool, label });
const callback = (id: string, callbackUrl: string) =>
  gw.admin("POST", `/accounts/oauth/browser/${id}/callback`, { callbackUrl });

/** Device-token polls that reached the fake auth server for this user code. */
const providerPolls = (userCode: string) =>
  gw.fake.requests.filter(
    (r) =>
      r.path === "/api/accounts/deviceauth/token" &&
      (r.body as { user_code?: string }).user_code === userCode,
  );
const codeExchanges = () =>
  gw.fake.requests.filter(
    (r) =>
      r.path === "/oauth/token" && (r.body as { grant_type?: string }).grant_type === "authorization_code",
  );

function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(res.body.error.type).toBe(status >= 500 ? "server_error" : "invalid_request_error");
  expect(typeof res.body.error.message).toBe("string");
}

const inDynamo = (needle: string) => inDynamoOf(gw.dataDir, needle);

async function serveTurn(poolKey: string, chatgptAccountId: string) {
  const before = gw.fake.responsesFor(chatgptAccountId).length;
  const response = await fetch(`${gw.url}/backend-api/codex/responses`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${poolKey}`,
      "content-type": "application/json",
      accept: "text/event-stream",
    },
    body: JSON.stringify(TEXT_TURN_BODY),
  });
  expect(response.status).toBe(200);
  const events = await readSse(response);
  expect(events.at(-1)?.type).toBe("response.completed");
  expect(gw.fake.responsesFor(chatgptAccountId).length).toBe(before + 1);
}

async function auditActions(targetId: string) {
  const res = await gw.admin("GET", "/audit-events?limit=200");
  return (res.body.data as any[]).filter((e) => e.targetId === targetId);
}

describe("device-code login (admin API)", () => {
  it("starts, stays pending until approved, completes, and the new account serves a turn", async () => {
    const own = await freshPool("oauth-device");
    const start = await startDevice("dev-login", own.pool);
    expect(start.status).toBe(201);
    const flow = start.body.flow;
    expect(flow).toMatchObject({
      kind: "device",
      verificationUrl: `${gw.fake.authBaseUrl}/codex/device`,
      intervalSeconds: 1,
    });
    expect(flow.id).toMatch(/^oaf_[0-9a-f]{24}$/);
    expect(flow.userCode).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
    expect(Date.parse(flow.expiresAt)).toBeGreaterThan(Date.now() + 10 * 60_000);
    const usercodeCall = gw.fake.requests.findLast((r) => r.path === "/api/accounts/deviceauth/usercode");
    expect(usercodeCall?.body).toEqual({ client_id: "app_EMoamEEZ73f0CkXaXp7hrann" });

    const pending = await pollDevice(flow.id);
    expect(pending.status).toBe(200);
    expect(pending.body).toMatchObject({ status: "pending", intervalSeconds: 1 });
    const deviceAuthId = (providerPolls(flow.userCode)[0]?.body as { device_auth_id?: string } | undefined)
      ?.device_auth_id as string;
    expect(deviceAuthId).toMatch(/^dev_/);

    // While pending, the device_auth_id sits encrypted in the SecretStore only.
    expect(JSON.stringify(start.body) + JSON.stringify(pending.body)).not.toContain(deviceAuthId);
    expect(JSON.stringify(await storedFlow(flow.id))).not.toContain(deviceAuthId);
    expect(await flowSecret(flow.id)).toContain(deviceAuthId);
    expect(inDynamo(flow.userCode)).toBe(true); // the scan does find what the flow item holds
    expect(inDynamo(deviceAuthId)).toBe(false);

    const approved = gw.fake.approveDevice(flow.userCode, {
      planType: "pro",
      email: "device.user@example.com",
    });
    later(1);
    const done = await pollDevice(flow.id);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.status).toBe("complete");
    const account = done.body.account;
    expect(account).toMatchObject({
      label: "dev-login",
      pools: [own.pool],
      status: "active",
      planType: "pro",
      email: "d***@example.com",
    });
    expect(done.body.warnings.join(" ")).toContain("refresh token");

    // The exchange used the device flow's verifier and the issuer's device callback.
    const exchange = codeExchanges().at(-1)?.body as Record<string, string>;
    expect(exchange).toMatchObject({
      grant_type: "authorization_code",
      client_id: "app_EMoamEEZ73f0CkXaXp7hrann",
      redirect_uri: `${gw.fake.authBaseUrl}/deviceauth/callback`,
    });
    const item = await storedFlow(flow.id);
    expect(item).toMatchObject({ status: "complete", accountId: account.id });
    expect(JSON.stringify(item)).not.toContain(exchange.code_verifier);
    expect(JSON.stringify(item)).not.toContain(deviceAuthId);
    expect(inDynamo(exchange.code_verifier as string)).toBe(false);
    expect(inDynamo(deviceAuthId)).toBe(false);
    expect(await flowSecret(flow.id)).toBeUndefined();

    const audit = await auditActions(account.id);
    expect(audit.map((e) => e.action)).toContain("upstream_account.oauth_device_link");
    expect(audit.find((e) => e.action === "upstream_account.oauth_device_link")?.details).toMatchObject({
      pool: own.pool,
      flow: flow.id,
      replaced: false,
    });

    await serveTurn(own.key, approved.accountId);

    // Asking again answers the same account, without another exchange.
    const exchanges = codeExchanges().length;
    const again = await pollDevice(flow.id);
    expect(again.body).toMatchObject({ status: "complete", account: { id: account.id } });
    expect(codeExchanges().length).toBe(exchanges);
  });

  it("honours slow_down: a longer interval, and no provider call before it has passed", async () => {
    const flow = (await startDevice()).body.flow;
    gw.fake.slowDownDevice(flow.userCode);
    const slow = await pollDevice(flow.id);
    expect(slow.body).toMatchObject({ status: "slow_down", intervalSeconds: 6 });
    expect(providerPolls(flow.userCode)).toHaveLength(1);

    expect((await pollDevice(flow.id)).body.status).toBe("pending");
    later(1); // the old interval is not enough any more
    expect((await pollDevice(flow.id)).body).toMatchObject({ status: "pending", intervalSeconds: 6 });
    expect(providerPolls(flow.userCode)).toHaveLength(1);

    later(5);
    expect((await pollDevice(flow.id)).body.status).toBe("pending");
    expect(providerPolls(flow.userCode)).toHaveLength(2);
  });

  it("answers 410 expired_flow once the flow's time is up, and forgets its secret state", async () => {
    const flow = (await startDevice()).body.flow;
    expect((await pollDevice(flow.id)).body.status).toBe("pending");
    expect(await flowSecret(flow.id)).toBeDefined();
    const polls = providerPolls(flow.userCode).length;
    later(16 * 60);
    expectError(await pollDevice(flow.id), 410, "expired_flow");
    expect(providerPolls(flow.userCode)).toHaveLength(polls);
    expect(await flowSecret(flow.id)).toBeUndefined();
    expect((await storedFlow(flow.id))?.status).toBe("expired");
    // Approving now is too late.
    gw.fake.approveDevice(flow.userCode);
    expectError(await pollDevice(flow.id), 410, "expired_flow");
  });

  it("answers 410 expired_flow when the auth server says the device code expired", async () => {
    const flow = (await startDevice()).body.flow;
    gw.fake.expireDevice(flow.userCode);
    expectError(await pollDevice(flow.id), 410, "expired_flow");
    expect(await flowSecret(flow.id)).toBeUndefined();
  });

  it("answers 400 provider_denied when the user denies, and keeps answering it", async () => {
    const flow = (await startDevice()).body.flow;
    expect((await pollDevice(flow.id)).body.status).toBe("pending");
    gw.fake.denyDevice(flow.userCode);
    later(1);
    const denied = await pollDevice(flow.id);
    expectError(denied, 400, "provider_denied");
    expect(denied.body.error.message).toContain("access_denied");
    expect(await flowSecret(flow.id)).toBeUndefined();
    later(1);
    expectError(await pollDevice(flow.id), 400, "provider_denied");
    const audit = await auditActions(flow.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: "upstream_account.oauth_device_link",
      outcome: "failure",
      details: { code: "provider_denied" },
    });
  });

  it("cleans up abandoned flows and their secret state when a later login starts", async () => {
    const abandoned = (await startDevice()).body.flow;
    expect(await flowSecret(abandoned.id)).toBeDefined();
    later(15 * 60 + 10 * 60 + 1); // past its end plus the grace in which a late poll still gets 410
    expect((await startBrowser()).status).toBe(201);
    expect(await storedFlow(abandoned.id)).toBeUndefined();
    expect(await flowSecret(abandoned.id)).toBeUndefined();
    expectError(await pollDevice(abandoned.id), 404, "flow_not_found");
  });

  it("refuses unknown flows and pools, and a browser flow id on the device route", async () => {
    expectError(await pollDevice("oaf_000000000000000000000000"), 404, "flow_not_found");
    expectError(await pollDevice("nope"), 404, "flow_not_found");
    expectError(
      await gw.admin("POST", "/accounts/oauth/device", { pool: "no-such-pool" }),
      404,
      "pool_not_found",
    );
    expectError(await gw.admin("POST", "/accounts/oauth/device", { pool, extra: 1 }), 400, "invalid_request");
    const browser = (await startBrowser()).body.flow;
    expectError(await pollDevice(browser.id), 404, "flow_not_found");
  });
});

describe("browser PKCE login (admin API)", () => {
  it("builds the authorize URL, completes with the pasted callback URL, and the account serves a turn", async () => {
    const own = await freshPool("oauth-browser");
    const start = await startBrowser("browser-login", own.pool);
    expect(start.status).toBe(201);
    const flow = start.body.flow;
    expect(flow.kind).toBe("browser");
    expect(Date.parse(flow.expiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
    const url = new URL(flow.authorizeUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${gw.fake.authBaseUrl}/oauth/authorize`);
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({
      response_type: "code",
      client_id: "app_EMoamEEZ73f0CkXaXp7hrann",
      redirect_uri: CALLBACK,
      scope: "openid profile email offline_access api.connectors.read api.connectors.invoke",
      code_challenge_method: "S256",
      id_token_add_organizations: "true",
      codex_cli_simplified_flow: "true",
      originator: "codex_cli_rs",
    });
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.state?.length).toBeGreaterThanOrEqual(32);
    // The state is secret flow state too: not in the flow item.
    expect(JSON.stringify(await storedFlow(flow.id))).not.toContain(q.state);

    const signedIn = gw.fake.authorize(flow.authorizeUrl, { planType: "team" });
    const done = await callback(flow.id, signedIn.callbackUrl);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({
      status: "complete",
      account: { label: "browser-login", pools: [own.pool], status: "active", planType: "team" },
    });

    const exchange = codeExchanges().at(-1)?.body as Record<string, string>;
    expect(exchange).toMatchObject({
      grant_type: "authorization_code",
      code: signedIn.code,
      redirect_uri: CALLBACK,
    });
    // A 64-byte verifier, matching the challenge of the authorize URL.
    expect(exchange.code_verifier).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(
      createHash("sha256")
        .update(exchange.code_verifier as string)
        .digest("base64url"),
    ).toBe(q.code_challenge);
    expect(JSON.stringify(await storedFlow(flow.id))).not.toContain(exchange.code_verifier);
    expect(inDynamo(exchange.code_verifier as string)).toBe(false);
    expect(inDynamo(q.state as string)).toBe(false);
    expect(await flowSecret(flow.id)).toBeUndefined();

    const audit = await auditActions(done.body.account.id);
    expect(audit.map((e) => e.action)).toContain("upstream_account.oauth_browser_link");
    await serveTurn(own.key, signedIn.account.accountId);

    expectError(await callback(flow.id, signedIn.callbackUrl), 409, "flow_not_pending");
  });

  it("refuses a callback URL with the wrong state and keeps the flow usable", async () => {
    const flow = (await startBrowser()).body.flow;
    const signedIn = gw.fake.authorize(flow.authorizeUrl);
    const forged = new URL(signedIn.callbackUrl);
    forged.searchParams.set("state", "another-login-state");
    const res = await callback(flow.id, forged.toString());
    expectError(res, 400, "invalid_state");
    expect(res.body.error.param).toBe("callbackUrl");
    expect(codeExchanges().some((r) => (r.body as { code?: string }).code === signedIn.code)).toBe(false);
    expect((await storedFlow(flow.id))?.status).toBe("pending");
    expect((await callback(flow.id, signedIn.callbackUrl)).body.status).toBe("complete");
  });

  it("refuses a callback URL without a code (missing_callback_result) or without a state", async () => {
    const flow = (await startBrowser()).body.flow;
    const signedIn = gw.fake.authorize(flow.authorizeUrl);
    const noCode = new URL(signedIn.callbackUrl);
    noCode.searchParams.delete("code");
    expectError(await callback(flow.id, noCode.toString()), 400, "missing_callback_result");
    const noState = new URL(signedIn.callbackUrl);
    noState.searchParams.delete("state");
    expectError(await callback(flow.id, noState.toString()), 400, "missing_state");
    const twice = new URL(signedIn.callbackUrl);
    twice.searchParams.append("code", "ac_other");
    expectError(await callback(flow.id, twice.toString()), 400, "duplicate_callback_param");
    expectError(await callback(flow.id, "not a url"), 400, "invalid_callback_url");
    const elsewhere = signedIn.callbackUrl.replace("http://localhost:1455", "https://evil.example");
    expectError(await callback(flow.id, elsewhere), 400, "invalid_callback_origin");
    expect((await storedFlow(flow.id))?.status).toBe("pending");
  });

  it("ends the flow with provider_denied when the callback carries an error", async () => {
    const flow = (await startBrowser()).body.flow;
    const state = new URL(flow.authorizeUrl).searchParams.get("state") as string;
    const res = await callback(
      flow.id,
      `${CALLBACK}?error=access_denied&error_description=nope&state=${state}`,
    );
    expectError(res, 400, "provider_denied");
    expect(res.body.error.message).toContain("access_denied");
    expect(await flowSecret(flow.id)).toBeUndefined();
    expectError(await callback(flow.id, `${CALLBACK}?code=x&state=${state}`), 409, "flow_not_pending");
  });

  it("answers 502 token_exchange_failed when the auth server refuses the code", async () => {
    const flow = (await startBrowser()).body.flow;
    const signedIn = gw.fake.authorize(flow.authorizeUrl);
    const wrong = new URL(signedIn.callbackUrl);
    wrong.searchParams.set("code", "ac_unknown");
    const res = await callback(flow.id, wrong.toString());
    expectError(res, 502, "token_exchange_failed");
    expect(res.body.error.message).toContain("invalid_grant");
    expect((await storedFlow(flow.id))?.status).toBe("failed");
    expect(await flowSecret(flow.id)).toBeUndefined();
  });

  it("answers 410 expired_flow after 15 minutes", async () => {
    const flow = (await startBrowser()).body.flow;
    const signedIn = gw.fake.authorize(flow.authorizeUrl);
    later(15 * 60 + 1);
    expectError(await callback(flow.id, signedIn.callbackUrl), 410, "expired_flow");
    expect(await flowSecret(flow.id)).toBeUndefined();
  });

  it("describes the routes in the OpenAPI document", async () => {
    const doc = await (await fetch(`${gw.url}/admin/v1/openapi.json`)).json();
    for (const path of [
      "/accounts/oauth/device",
      "/accounts/oauth/device/{id}/poll",
      "/accounts/oauth/browser",
      "/accounts/oauth/browser/{id}/callback",
    ]) {
      expect(doc.paths[path]?.post, path).toBeDefined();
    }
    expect(
      doc.paths["/accounts/oauth/browser/{id}/callback"].post.requestBody.content["application/json"].schema,
    ).toMatchObject({ required: ["callbackUrl"] });
  });
});

describe("pooler account login (child process)", () => {
  const pooler = (args: string[]) => startPoolerCli(gw, args);

  it("--device prints the URL and code, waits while the user approves, and prints the account", async () => {
    const own = await freshPool("oauth-cli");
    const cli = pooler(["account", "login", "--pool", own.pool, "--label", "cli-device", "--device"]);
    try {
      const userCode = await waitFor(() => /enter this code:\s+(\S+)/.exec(cli.stdout())?.[1], 20_000);
      expect(cli.stdout()).toContain(`${gw.fake.authBaseUrl}/codex/device`);
      // Let the CLI poll at least once while the code is still pending.
      await waitFor(() => providerPolls(userCode).length > 0 || undefined, 20_000);
      const approved = gw.fake.approveDevice(userCode, { planType: "plus" });
      expect(await cli.exit).toBe(0);
      expect(cli.stderr()).toContain("Waiting for approval");
      expect(cli.stderr()).not.toContain("error");
      expect(cli.stdout()).toMatch(
        /Signed in: account "cli-device" \(acc_[0-9a-f]{16}\) is in pool "oauth-cli"\./,
      );
      expect(cli.stdout()).toContain("status: active  plan: plus");
      const listed = await gw.admin("GET", `/accounts?pool=${own.pool}`);
      expect(listed.body.data.map((a: any) => a.label)).toContain("cli-device");
      await serveTurn(own.key, approved.accountId);
    } finally {
      cli.child.kill();
    }
  });

  it("--browser --json reads the pasted callback URL from stdin and prints the final JSON", async () => {
    const cli = pooler(["--json", "account", "login", "--pool", pool, "--label", "cli-browser", "--browser"]);
    try {
      const authorizeUrl = await waitFor(
        () => /(http:\/\/\S+\/oauth\/authorize\?\S+)/.exec(cli.stderr())?.[1],
        20_000,
      );
      const signedIn = gw.fake.authorize(authorizeUrl);
      cli.child.stdin?.write(`\n${signedIn.callbackUrl}\n`);
      expect(await cli.exit).toBe(0);
      const printed = JSON.parse(cli.stdout());
      expect(printed).toMatchObject({ status: "complete", account: { label: "cli-browser", pools: [pool] } });
      // With --json, stdout is only the JSON; instructions and warnings went to stderr.
      expect(cli.stderr()).toContain("warning: the gateway now owns this login's refresh token");
      expect(cli.stdout()).not.toContain(signedIn.code);
    } finally {
      cli.child.kill();
    }
  });

  it("--browser fails with one error line when stdin ends without a URL", async () => {
    const cli = pooler(["account", "login", "--pool", pool, "--browser"]);
    try {
      await waitFor(() => cli.stdout().includes("/oauth/authorize?") || undefined, 20_000);
      cli.child.stdin?.end();
      expect(await cli.exit).toBe(1);
      expect(cli.stderr()).toBe(
        "error: no callback URL was pasted; run `pooler account login --browser` again\n",
      );
    } finally {
      cli.child.kill();
    }
  });

  it("--device stops on Ctrl-C with exit code 130 and adds nothing", async () => {
    const cli = pooler(["account", "login", "--pool", pool, "--label", "never-added"]);
    try {
      await waitFor(() => cli.stderr().includes("Waiting for approval") || undefined, 20_000);
      cli.child.kill("SIGINT");
      expect(await cli.exit).toBe(130);
      expect(cli.stderr()).toContain("error: login cancelled; nothing was added");
      const listed = await gw.admin("GET", "/accounts");
      expect(listed.body.data.map((a: any) => a.label)).not.toContain("never-added");
    } finally {
      cli.child.kill();
    }
  });

  it("draws a spinner on a terminal and clears it when the login completes", async () => {
    let stdout = "";
    let stderr = "";
    const run = runCli(["account", "login", "--pool", pool, "--label", "tty-device"], {
      io: {
        stdout: (t) => {
          stdout += t;
        },
        stderr: (t) => {
          stderr += t;
        },
      },
      env: { POOLER_URL: gw.url, POOLER_ADMIN_TOKEN: gw.adminToken },
      stdin: new PassThrough(),
      stderrIsTTY: true,
    });
    const userCode = await waitFor(() => /enter this code:\s+(\S+)/.exec(stdout)?.[1], 20_000);
    const CLEAR = "\r\x1b[2K";
    const spinnerLine = /^[|/\\-] Waiting for approval \(checking every 1s, code expires in \d+m\d\ds\)$/;
    await waitFor(() => stderr.split(CLEAR).some((part) => spinnerLine.test(part)) || undefined);
    gw.fake.approveDevice(userCode);
    expect(await run).toBe(0);
    // The spinner line is cleared before anything else is written, and not drawn again.
    expect(stderr.split(CLEAR).at(-1)).toMatch(
      /^warning: the gateway now owns this login's refresh token[^\r]*\n$/,
    );
    expect(stdout).toContain('Signed in: account "tty-device"');
  });

  it("refuses --device together with --browser", async () => {
    const cli = pooler(["account", "login", "--pool", pool, "--device", "--browser"]);
    expect(await cli.exit).toBe(1);
    expect(cli.stderr()).toMatch(/^error: .*cannot be used with/);
  });
});

// The key holder's dashboard on AWS: CloudFront sends /observatory to the console function (the
// template side is in cdk-stacks.test.ts); its entry signs a key holder in and out within its grants,
// with a Secure cookie (function URLs are HTTPS), and the runtime entry refuses the paths.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invoke, type LambdaHarness, ORIGIN_VALUE, startLambdaHarness } from "./helpers/lambda.ts";

const origin = { "x-origin-verify": ORIGIN_VALUE };
let aws: LambdaHarness;
let consoleHandler: unknown;
let runtime: unknown;

beforeAll(async () => {
  aws = await startLambdaHarness();
  consoleHandler = await aws.entry("console", () => import("../lambdas/console.ts"));
  runtime = await aws.entry("runtime", () => import("../lambdas/runtime.ts"));
});
afterAll(async () => {
  await aws?.close();
});

describe("/observatory on the console function", () => {
  it("signs a key holder in with a Secure cookie, shows the dashboard, and ends the session when the key is paused", async () => {
    expect((await aws.iamAdmin("POST", "/pools", { name: "obs" })).status).toBe(201);
    const created = await aws.iamAdmin("POST", "/keys", { pool: "obs", dashboardAccess: true });
    expect(created.status).toBe(201);
    const key: string = created.body.secret;

    const form = await invoke(consoleHandler, { path: "/observatory/login", headers: origin });
    expect(form.prelude().statusCode).toBe(200);
    expect(form.body()).toContain('name="api_key"');

    const signIn = await invoke(consoleHandler, {
      method: "POST",
      path: "/observatory/login",
      headers: { ...origin, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ api_key: key }).toString(),
    });
    const prelude = signIn.prelude() as {
      statusCode: number;
      headers: Record<string, string>;
      cookies?: string[];
    };
    expect(prelude.statusCode).toBe(303);
    const cookie = (prelude.cookies ?? []).find((c) => c.startsWith("pooler_observatory="));
    expect(cookie).toBeDefined();
    expect(cookie).toContain("Secure");
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/observatory");
    const session = (cookie as string).split(";")[0] as string;

    const page = await invoke(consoleHandler, {
      path: "/observatory",
      headers: origin,
      cookies: [session],
    });
    expect(page.prelude().statusCode).toBe(200);
    expect(page.body()).toContain(`sk-cxp-${created.body.key.id}`);

    const paused = await aws.iamAdmin("POST", `/keys/${created.body.key.id}/pause`);
    expect(paused.status).toBe(200);
    const after = await invoke(consoleHandler, { path: "/observatory", headers: origin, cookies: [session] });
    expect(after.prelude().statusCode).toBe(303);

    const wrong = await invoke(consoleHandler, {
      method: "POST",
      path: "/observatory/login",
      headers: { ...origin, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ api_key: key }).toString(),
    });
    expect(wrong.prelude().statusCode).toBe(401);
    expect(wrong.body()).toContain("The API key is invalid or unavailable.");
  });

  it("is not served by the runtime function (CloudFront sends it to the console)", async () => {
    const out = await invoke(runtime, { path: "/observatory/login", headers: origin });
    expect(out.prelude().statusCode).toBe(404);
    expect(out.json().error.message).toContain("key dashboard (/observatory) by the console function");
  });
});

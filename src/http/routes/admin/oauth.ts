// OAuth onboarding of upstream accounts: device-code login and browser PKCE login with a pasted
// callback URL. The flow's secret state never leaves the gateway; answers carry only what the
// operator needs to act (verification URL and user code, or the authorize URL).
import { type Context, Hono } from "hono";
import { BrowserCallback, StartOAuthLogin } from "../../../admin-contract/requests.ts";
import { browserFlowView, deviceFlowView, loginResultView } from "../../../admin-views/records.ts";
import { requirePoolScope } from "../../../core/access/scope.ts";
import { completeBrowserFlow, startBrowserFlow } from "../../../core/accounts/oauth-browser.ts";
import { pollDeviceFlow, startDeviceFlow } from "../../../core/accounts/oauth-device.ts";
import { type PollResult, requireFlow } from "../../../core/accounts/oauth-flows.ts";
import type { Gateway } from "../../../core/gateway.ts";
import type { AppEnv } from "../../types.ts";
import { jsonBody, validate } from "../../validate.ts";
import { scopedAccountView, scopeOf } from "./scope.ts";

export function oauthAdminRoutes(gw: Gateway) {
  const { ctx } = gw;
  const startIn = (c: Context<AppEnv>, pool: string) =>
    requirePoolScope(scopeOf(c), pool, `signing an account into Pool ${pool}`);
  /** A login flow continues only for a caller whose scope has the flow's Pool. */
  const scopedFlow = async (c: Context<AppEnv>, kind: "device" | "browser") => {
    const flow = await requireFlow(ctx, c.req.param("id") as string, kind);
    requirePoolScope(scopeOf(c), flow.pool, `login flow ${flow.id}`);
  };
  const resultView = (c: Context<AppEnv>, result: PollResult) =>
    loginResultView(result, (account) => scopedAccountView(scopeOf(c), account, ctx.clock.now()));
  return new Hono<AppEnv>()
    .post("/accounts/oauth/device", async (c) => {
      const input = validate(StartOAuthLogin, await jsonBody(c.req.raw));
      startIn(c, input.pool);
      const flow = await startDeviceFlow(ctx, input);
      return c.json({ flow: deviceFlowView(flow) }, 201);
    })
    .post("/accounts/oauth/device/:id/poll", async (c) => {
      await scopedFlow(c, "device");
      const result = await pollDeviceFlow(ctx, c.req.param("id"), c.get("actor"));
      if (result.status === "complete") gw.directory.invalidate();
      return c.json(resultView(c, result));
    })
    .post("/accounts/oauth/browser", async (c) => {
      const input = validate(StartOAuthLogin, await jsonBody(c.req.raw));
      startIn(c, input.pool);
      const { flow, authorizeUrl } = await startBrowserFlow(ctx, input);
      return c.json({ flow: browserFlowView(flow, authorizeUrl) }, 201);
    })
    .post("/accounts/oauth/browser/:id/callback", async (c) => {
      await scopedFlow(c, "browser");
      const { callbackUrl } = validate(BrowserCallback, await jsonBody(c.req.raw));
      const result = await completeBrowserFlow(ctx, c.req.param("id"), callbackUrl, c.get("actor"));
      gw.directory.invalidate();
      return c.json(resultView(c, result));
    });
}

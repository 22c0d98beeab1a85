// The invite landing page (docs/invites.md): GET shows where the invitee stands (and, during a
// sign-in, asks the auth server whether the code was entered); POST .../start begins the device-code
// login. The token in the path is the only credential: unknown tokens spend the same failure
// allowance as bad admin tokens (auth-throttle.ts), and the page never sends a Referer.
import { type Context, Hono } from "hono";
import { CONSOLE_HEADERS } from "../../console/headers.ts";
import { type InvitePageState, invitePage } from "../../console/invite-page.ts";
import { tooManyAuthFailures } from "../../core/access/auth-throttle.ts";
import { maskEmail } from "../../core/accounts/auth-json.ts";
import { INVITE_PATH, inviteProgress, inviteTokenId, startInviteLogin } from "../../core/accounts/invites.ts";
import { GatewayError } from "../../core/errors.ts";
import type { Gateway } from "../../core/gateway.ts";
import { clientAddress } from "../client-address.ts";
import type { AppEnv } from "../types.ts";

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export function onboardingRoutes(gw: Gateway) {
  const { ctx } = gw;

  async function render(
    c: Context<AppEnv>,
    state: InvitePageState,
    status: 200 | 404 | 410 | 429 | 500 = 200,
  ) {
    return c.body((await invitePage(state)).toString(), status, {
      ...CONSOLE_HEADERS,
      "content-type": "text/html; charset=utf-8",
    });
  }

  /** Runs one step; a refusal becomes an error page with its status. */
  async function step(c: Context<AppEnv>, run: (token: string) => Promise<Response>) {
    const token = c.req.param("token") as string;
    const client = clientAddress(c);
    try {
      // As for every credential, only a failure spends the client's allowance (auth-throttle.ts).
      return await run(token);
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      if (error.code === "invite_not_found") {
        const wait = gw.throttle.failed(client, inviteTokenId(token));
        if (wait > 0) return render(c, { state: "error", message: tooManyAuthFailures(wait).message }, 429);
      }
      const status = [404, 410, 429].includes(error.status) ? (error.status as 404 | 410 | 429) : 500;
      return render(
        c,
        {
          state: "error",
          message:
            error.status < 500 ? error.message : "the sign-in service is unavailable; try again in a minute",
        },
        status,
      );
    }
  }

  return new Hono<AppEnv>()
    .get(`${INVITE_PATH}:token`, (c) =>
      step(c, async (token) => {
        const progress = await inviteProgress(ctx, token);
        const { invite } = progress;
        if (progress.status === "accepted") {
          if (progress.account) gw.directory.invalidate();
          return render(c, { state: "accepted", pool: invite.pool });
        }
        if (progress.status === "pending") {
          return render(c, {
            state: "pending",
            pool: invite.pool,
            verificationUrl: progress.flow.verificationUrl ?? `${ctx.config.authBaseUrl}/codex/device`,
            userCode: progress.flow.userCode ?? "",
            refreshSeconds: progress.flow.intervalSeconds ?? 5,
            loginEndsAt: iso(progress.flow.endsAt),
          });
        }
        return render(c, {
          state: "ready",
          pool: invite.pool,
          email: maskEmail(invite.email) ?? null,
          expiresAt: iso(invite.endsAt),
          startAction: `${INVITE_PATH}${token}/start`,
        });
      }),
    )
    .post(`${INVITE_PATH}:token/start`, (c) =>
      step(c, async (token) => {
        await startInviteLogin(ctx, token);
        return c.redirect(`${INVITE_PATH}${token}`, 303);
      }),
    );
}

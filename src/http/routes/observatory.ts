// /observatory: the key holder's read-only dashboard (src/core/keys/observatory.ts for the sessions).
// Sign-in is a form POST whose `api_key` field carries the Pool API key; the session cookie is
// HttpOnly, SameSite=Strict, Path=/observatory, Secure over HTTPS, and lasts until the session's
// absolute end. Both POSTs refuse another site's Origin (CSRF), and sign-out is a POST.
import { type Context, Hono } from "hono";
import { CONSOLE_HEADERS } from "../../console/headers.ts";
import type { Html } from "../../console/layout.ts";
import { observatoryDashboardPage, observatorySignInPage } from "../../console/observatory.ts";
import type { Gateway } from "../../core/gateway.ts";
import { readKeyUsage } from "../../core/keys/key-usage.ts";
import {
  OBSERVATORY_FAILURE,
  observatorySignIn,
  observatorySignOut,
  observatoryViewer,
  type SignInResult,
} from "../../core/keys/observatory.ts";
import { readAll } from "../../core/support/bounded-read.ts";
import { reportRange, usageReport } from "../../core/usage/report.ts";
import { clientAddress } from "../client-address.ts";
import type { AppEnv } from "../types.ts";

export const OBSERVATORY_COOKIE = "pooler_observatory";
const PATH = "/observatory";
/** A sign-in form is a key and a few bytes of encoding. */
const MAX_FORM_BYTES = 4096;
const RECENT_REQUESTS = 12;
/** The recent requests are looked for among this many of the gateway's latest rows at most. */
const RECENT_SCAN_LIMIT = 2000;

type Status = 200 | 401 | 403 | 404 | 429;

async function page(
  c: Context<AppEnv>,
  markup: Html,
  status: Status = 200,
  headers: Record<string, string> = {},
) {
  return c.body((await markup).toString(), status, {
    ...CONSOLE_HEADERS,
    ...headers,
    "content-type": "text/html; charset=utf-8",
  });
}

const secure = (c: Context<AppEnv>) =>
  new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto")?.toLowerCase() === "https";

/** A POST from a page of another site (its Origin names another host) is refused. */
function crossSite(c: Context<AppEnv>): boolean {
  const origin = c.req.header("origin");
  if (origin === undefined) return c.req.header("sec-fetch-site") === "cross-site";
  // The pages send no referrer, so a browser's own form posts say `Origin: null`: then only the
  // browser's Sec-Fetch-Site can vouch for a same-origin post.
  if (origin === "null") return c.req.header("sec-fetch-site") !== "same-origin";
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return true;
  }
  return host !== new URL(c.req.url).host && host !== c.req.header("host");
}

/** The session cookie's value from the request, if any (session tokens need no decoding). */
function sessionToken(c: Context<AppEnv>): string | undefined {
  for (const part of (c.req.header("cookie") ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === OBSERVATORY_COOKIE) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Sets (or, with no value and no age, clears) the session cookie. */
function sessionCookie(c: Context<AppEnv>, value: string, maxAgeSeconds: number): void {
  const attributes = [`Max-Age=${maxAgeSeconds}`, `Path=${PATH}`, "HttpOnly", "SameSite=Strict"];
  if (secure(c)) attributes.push("Secure");
  c.header("set-cookie", [`${OBSERVATORY_COOKIE}=${value}`, ...attributes].join("; "), { append: true });
}

const clearSession = (c: Context<AppEnv>) => sessionCookie(c, "", 0);

export function observatoryRoutes(gw: Gateway) {
  const app = new Hono<AppEnv>();
  const { ctx } = gw;

  app.get(`${PATH}/login`, (c) => page(c, observatorySignInPage()));

  app.post(`${PATH}/login`, async (c) => {
    if (crossSite(c)) return page(c, observatorySignInPage(OBSERVATORY_FAILURE), 403);
    const type = c.req.header("content-type") ?? "";
    let raw: string | undefined;
    const encoding = c.req.header("content-encoding")?.trim().toLowerCase();
    // A browser's form: small and never compressed; anything else is refused like a wrong key.
    if (/^application\/x-www-form-urlencoded/i.test(type) && (!encoding || encoding === "identity")) {
      try {
        const bytes = await readAll(c.req.raw.body, MAX_FORM_BYTES, () => new Error("form too large"));
        raw = new URLSearchParams(new TextDecoder().decode(bytes)).get("api_key")?.trim();
      } catch {
        raw = undefined;
      }
    }
    const result: SignInResult = raw ? await observatorySignIn(gw, raw, clientAddress(c)) : { ok: false };
    if (!result.ok) {
      const retry = result.retryAfter;
      return page(
        c,
        observatorySignInPage(OBSERVATORY_FAILURE),
        retry ? 429 : 401,
        retry ? { "retry-after": String(retry) } : {},
      );
    }
    sessionCookie(c, result.token, Math.max(1, Math.floor((result.expiresAt - ctx.clock.now()) / 1000)));
    c.header("cache-control", "no-store");
    return c.redirect(PATH, 303);
  });

  app.post(`${PATH}/logout`, async (c) => {
    if (crossSite(c)) return page(c, observatorySignInPage(), 403);
    await observatorySignOut(gw, sessionToken(c));
    clearSession(c);
    c.header("cache-control", "no-store");
    return c.redirect(`${PATH}/login`, 303);
  });

  app.get(PATH, async (c) => {
    const token = sessionToken(c);
    const viewer = await observatoryViewer(gw, token);
    if (!viewer) {
      if (token !== undefined) clearSession(c);
      c.header("cache-control", "no-store");
      return c.redirect(`${PATH}/login`, 303);
    }
    const { key, pool, session } = viewer;
    const range = reportRange({}, ctx.clock.now());
    const [usage, byDay, byModel, recent] = await Promise.all([
      readKeyUsage(ctx, key.id),
      usageReport(ctx, { ...range, keyId: key.id, groupBy: "day" }),
      usageReport(ctx, { ...range, keyId: key.id, groupBy: "model" }),
      ctx.store.requestLogs.list({
        limit: RECENT_REQUESTS,
        keyId: key.id,
        pool: pool.name,
        scanLimit: RECENT_SCAN_LIMIT,
      }),
    ]);
    return page(
      c,
      observatoryDashboardPage({
        key,
        pool,
        usage,
        byDay,
        byModel,
        recent: recent.items,
        sessionEndsAt: session.expiresAt * 1000,
      }),
    );
  });

  app.all(`${PATH}/*`, (c) => page(c, observatorySignInPage(), 404));
  return app;
}

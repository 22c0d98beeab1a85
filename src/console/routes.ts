// The operator web console at /admin. It is a set of page shells plus a small hand-written client
// script (src/console/static/) that calls the admin API (/admin/v1) with the operator's admin token:
// every change goes through the same routes, validation and audit as the CLI. The token lives in the
// tab's sessionStorage and travels as `Authorization: Bearer`, never as a cookie, so there is no
// ambient credential to forge requests with (no CSRF surface).
import { type Context, Hono } from "hono";
import { html } from "hono/html";
import { ASSET_NAME, consoleAssets } from "./assets.ts";
import { clientSetupPage } from "./client-setup.ts";
import { CONSOLE_HEADERS } from "./headers.ts";
import { type Html, layout, NAV, signInLayout } from "./layout.ts";
import {
  accountsPage,
  alertsPage,
  auditPage,
  type ConsoleHost,
  invitesPage,
  keysPage,
  logsPage,
  overviewPage,
  poolsPage,
  signInPage,
  tokensPage,
} from "./pages.ts";

const ASSET_TYPES = { js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8" } as const;
/** A versioned asset never changes under its address. */
const IMMUTABLE = "public, max-age=31536000, immutable";

function send(
  c: Context,
  body: string,
  type: string,
  status: 200 | 400 | 404 = 200,
  cacheControl = CONSOLE_HEADERS["cache-control"] as string,
) {
  return c.body(body, status, { ...CONSOLE_HEADERS, "content-type": type, "cache-control": cacheControl });
}

async function page(c: Context, markup: Html, status: 200 | 400 = 200) {
  return send(c, (await markup).toString(), "text/html; charset=utf-8", status);
}

const PAGE_BODIES: Record<string, () => Html> = {
  overview: overviewPage,
  pools: poolsPage,
  accounts: accountsPage,
  keys: keysPage,
  logs: logsPage,
  audit: auditPage,
  alerts: alertsPage,
  tokens: tokensPage,
  invites: invitesPage,
};

function asset(c: Context, name: string, cacheControl?: string) {
  const match = ASSET_NAME.exec(name);
  const text = match ? consoleAssets().files.get(name) : undefined;
  if (!match || text === undefined) return send(c, "not found\n", "text/plain; charset=utf-8", 404);
  return send(c, text, ASSET_TYPES[match[1] as keyof typeof ASSET_TYPES], 200, cacheControl);
}

export function consoleRoutes(options: { host?: ConsoleHost } = {}) {
  const app = new Hono();
  for (const item of NAV) {
    const body = PAGE_BODIES[item.page];
    if (!body) continue;
    app.get(item.path || "/", (c) => page(c, layout(item.page, item.title, body())));
  }
  app.get("/clients", (c) => {
    const { body, status } = clientSetupPage(c.req.query(), new URL(c.req.url).origin);
    return page(c, layout("clients", "Client setup", body), status);
  });
  app.get("/sign-in", (c) => page(c, signInLayout(signInPage(options.host))));
  // `/admin/` and friends: one canonical address per page.
  app.get("/*", (c, next) =>
    c.req.path.endsWith("/") && c.req.path !== "/admin"
      ? c.redirect(c.req.path.replace(/\/+$/, "") || "/admin", 301)
      : next(),
  );
  // Where the forms post when the script did not run; the body is never read.
  app.post("/no-script", (c) =>
    page(
      c,
      signInLayout(
        html`<p class="error" role="alert">
          The console needs JavaScript: it calls the admin API from your browser. Nothing was sent.
        </p>`,
      ),
      400,
    ),
  );
  // Versioned (what pages link): cached for good. A page from before a deploy asks for an old
  // version and gets today's file, uncached. Unversioned: the same file, uncached.
  app.get("/assets/:version/:name", (c) => {
    const assets = consoleAssets();
    const cache = c.req.param("version") === assets.version ? IMMUTABLE : undefined;
    return asset(c, c.req.param("name"), cache);
  });
  app.get("/assets/:name", (c) => asset(c, c.req.param("name")));
  return app;
}

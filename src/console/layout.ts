// The console's HTML shell: one layout for every page (skip link, header, navigation, a polite live
// region for async results). Pages are server-rendered skeletons; the client script fills in the
// data from the admin API, because only the browser holds the admin token (sessionStorage).
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import {
  ALERT_RULE_KINDS,
  ASSIGNMENT_STATES,
  AUTH_STATES,
  REASONING_EFFORTS,
  ROUTING_STRATEGIES,
  RULE_KIND_PARAMS,
  WINDOW_SELECTORS,
} from "../admin-contract/enums.ts";
import { consoleAssets } from "./assets.ts";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export const CONSOLE_BASE = "/admin";

export interface NavItem {
  page: string;
  path: string;
  title: string;
}

export const NAV: readonly NavItem[] = [
  { page: "overview", path: "", title: "Overview" },
  { page: "pools", path: "/pools", title: "Pools" },
  { page: "accounts", path: "/accounts", title: "Accounts" },
  { page: "keys", path: "/keys", title: "Keys" },
  { page: "logs", path: "/logs", title: "Request logs" },
  { page: "audit", path: "/audit", title: "Audit log" },
  { page: "alerts", path: "/alerts", title: "Alerts" },
  { page: "invites", path: "/invites", title: "Invites" },
  { page: "tokens", path: "/tokens", title: "Tokens" },
  { page: "clients", path: "/clients", title: "Client setup" },
];

/** Pages a Pool admin cannot use (docs/operators.md); the client script hides their links. */
const OWNER_ONLY_PAGES = new Set(["audit"]);

export const href = (path: string) => `${CONSOLE_BASE}${path}`;
const asset = (name: string) => href(`/assets/${consoleAssets().version}/${name}`);

function head(title: string): Html {
  return html`<meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>${title} · Codex Pooler</title>
    <link rel="stylesheet" href="${asset("console.css")}" />
    <script type="module" src="${asset("app.js")}"></script>`;
}

/**
 * Values the client script needs to build forms, from the admin contract's vocabulary (one list for
 * the API, the CLI and the console): a JSON data block, which is never executed.
 */
function consoleData(): Html {
  const json = JSON.stringify({
    strategies: ROUTING_STRATEGIES,
    efforts: REASONING_EFFORTS,
    alerts: {
      kinds: ALERT_RULE_KINDS,
      kindParams: RULE_KIND_PARAMS,
      assignmentStates: ASSIGNMENT_STATES,
      authStates: AUTH_STATES,
      windowSelectors: WINDOW_SELECTORS,
    },
  });
  return html`<script type="application/json" data-console-config>${raw(json.replace(/</g, "\\u003c"))}</script>`;
}

/** A signed-in page: navigation plus the page body; `page` tells the client script what to load. */
export function layout(page: string, title: string, body: Html): Html {
  const nav = NAV.map(
    (item) =>
      html`<li${OWNER_ONLY_PAGES.has(item.page) ? html` data-owner-only` : ""}><a href="${href(item.path)}"${item.page === page ? html` aria-current="page"` : ""}>${item.title}</a></li>`,
  );
  return html`<!doctype html>
<html lang="en">
  <head>
    ${head(title)}
  </head>
  <body data-page="${page}">
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <a class="brand" href="${href("")}">Codex Pooler</a>
      <span class="who" data-who></span>
      <button type="button" class="secondary" data-sign-out>Sign out</button>
    </header>
    <nav aria-label="Console"><ul>${nav}</ul></nav>
    <main id="main" tabindex="-1">
      <h1>${title}</h1>
      <noscript><p class="error">The console needs JavaScript: it calls the admin API from your browser.</p></noscript>
      ${body}
    </main>
    <div class="live" role="status" aria-live="polite" data-live></div>
    ${consoleData()}
  </body>
</html>`;
}

/** The sign-in page has no navigation: nothing else works without a token. */
export function signInLayout(body: Html): Html {
  return html`<!doctype html>
<html lang="en">
  <head>
    ${head("Sign in")}
  </head>
  <body data-page="sign-in" class="sign-in">
    <main id="main" tabindex="-1">
      <h1>Codex Pooler console</h1>
      <noscript><p class="error">The console needs JavaScript: it calls the admin API from your browser.</p></noscript>
      ${body}
    </main>
    <div class="live" role="status" aria-live="polite" data-live></div>
  </body>
</html>`;
}

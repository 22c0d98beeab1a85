// The key holder's dashboard pages (/observatory): server-rendered, read-only, no script at all. The
// figures are the signed-in key's own: its counters against its limits, the last seven UTC days of
// requests, errors and tokens, by day and by model, and its latest requests' metadata.
import { html } from "hono/html";
import type { KeyUsageSnapshot } from "../core/keys/key-usage.ts";
import { credentialPrefix } from "../core/keys/secrets-format.ts";
import type { Credential, Pool, RequestLog } from "../core/model.ts";
import type { UsageReport } from "../core/usage/report.ts";
import { consoleAssets } from "./assets.ts";
import type { Html } from "./layout.ts";

export const OBSERVATORY_BASE = "/observatory";

function shell(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>${title} · Codex Pooler</title>
    <link rel="stylesheet" href="/admin/assets/${consoleAssets().version}/console.css" />
  </head>
  <body data-page="observatory">
    <main id="main" tabindex="-1">${body}</main>
  </body>
</html>`;
}

/** The sign-in form; the key travels in the POST body only, never in an address. */
export function observatorySignInPage(error?: string): Html {
  return shell(
    "Key dashboard sign-in",
    html`<h1>Key dashboard</h1>
      <p>Sign in with your Pool API key to see that key's own usage. Nothing here can change it.</p>
      ${error ? html`<p class="error" role="alert" data-error>${error}</p>` : ""}
      <form method="post" action="${OBSERVATORY_BASE}/login" autocomplete="off">
        <label for="api_key">Pool API key</label>
        <input id="api_key" name="api_key" type="password" required autocomplete="off" spellcheck="false"
          placeholder="sk-cxp-…" />
        <button type="submit">Sign in</button>
      </form>`,
  );
}

export interface DashboardData {
  key: Credential;
  pool: Pool;
  usage: KeyUsageSnapshot;
  byDay: UsageReport;
  byModel: UsageReport;
  recent: RequestLog[];
  sessionEndsAt: number;
}

const n = (value: number) => value.toLocaleString("en-US");
const when = (ms: number) => `${new Date(ms).toISOString().replace("T", " ").slice(0, 19)} UTC`;

/** A table: a header row (a leading `#` marks a number column) and rows of cells. */
function grid(heads: string[], rows: Html[][], attrs = "", rowAttr = ""): Html {
  const num = (i: number) => (heads[i]?.startsWith("#") ? html` class="num"` : "");
  const head = heads.map((t, i) => html`<th${num(i)}>${t.replace(/^#/, "")}</th>`);
  const body = rows.length
    ? rows.map((r) => html`<tr ${rowAttr}>${r.map((c, i) => html`<td${num(i)}>${c}</td>`)}</tr>`)
    : html`<tr><td colspan="${heads.length}" class="muted">No requests yet.</td></tr>`;
  return html`<div class="table-wrap"><table ${attrs}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function section(id: string, title: string, body: Html): Html {
  return html`<section aria-labelledby="${id}"><h2 id="${id}">${title}</h2>${body}</section>`;
}

function limitRow(name: string, what: string, used: number, limit: number | undefined, resets: number): Html {
  const percent = limit ? `${Math.min(100, Math.round((used / limit) * 100))}%` : "";
  return html`<tr data-window="${name}"><th>${what}</th><td class="num" data-used>${n(used)}</td><td class="num" data-limit>${limit ? n(limit) : "no limit"}</td><td class="num">${percent}</td><td>${when(resets)}</td></tr>`;
}

export function observatoryDashboardPage(d: DashboardData): Html {
  const p = d.key.policy ?? {};
  const t = d.byDay.totals;
  const { windows } = d.usage;
  const card = (title: string, value: number, data = "") =>
    html`<div class="card"><dt>${title}</dt><dd ${data}>${n(value)}</dd></div>`;
  return shell(
    "Key dashboard",
    html`<header class="top"><span class="brand">Key dashboard</span>
        <form method="post" action="${OBSERVATORY_BASE}/logout"><button type="submit" class="secondary">Sign out</button></form></header>
      <h1>${credentialPrefix("pool_key", d.key.id)}${d.key.label ? ` · ${d.key.label}` : ""}</h1>
      <p class="muted">Pool <strong data-pool>${d.pool.name}</strong> · read-only · figures at ${when(d.usage.at)} · this session ends ${when(d.sessionEndsAt)}</p>
      ${section(
        "totals",
        `Last 7 days (${d.byDay.fromDay} to ${d.byDay.toDay}, UTC)`,
        html`<dl class="cards">${card("Requests", t.requests, "data-requests")}${card("Errors", t.errors, "data-errors")}${card("Tokens", t.totalTokens, "data-tokens")}${card("Cached input tokens", t.cachedTokens)}</dl>`,
      )}
      ${section(
        "limits",
        "Limits",
        html`<div class="table-wrap"><table data-limits><thead><tr><th>Window</th><th class="num">Used</th><th class="num">Limit</th><th class="num">Of limit</th><th>Resets</th></tr></thead><tbody>
          ${limitRow("minute", "Requests this minute", d.usage.minute.requests, p.requestsPerMinute, windows.minute.endsAt)}
          ${limitRow("day", "Tokens today", d.usage.day.tokens, p.tokensPerDay, windows.day.endsAt)}
          ${limitRow("week", "Tokens this week", d.usage.week.tokens, p.tokensPerWeek, windows.week.endsAt)}
          </tbody></table></div>
          <p class="muted">Models: ${p.allowedModels ? p.allowedModels.join(", ") || "none" : "any"} · highest reasoning effort: ${p.maxReasoningEffort ?? "any"}</p>`,
      )}
      ${section(
        "days",
        "By day",
        grid(
          ["Day", "#Requests", "#Errors", "#Input", "#Cached", "#Output", "#Total tokens"],
          d.byDay.rows.map((r) => {
            const c = r.counts;
            return [
              r.group,
              c.requests,
              c.errors,
              c.inputTokens,
              c.cachedTokens,
              c.outputTokens,
              c.totalTokens,
            ].map((v) => html`${typeof v === "number" ? n(v) : v}`);
          }),
        ),
      )}
      ${section(
        "models",
        "By model",
        grid(
          ["Model", "#Requests", "#Errors", "#Total tokens"],
          d.byModel.rows.map((r) => [
            html`${r.group || "(none)"}`,
            html`${n(r.counts.requests)}`,
            html`${n(r.counts.errors)}`,
            html`${n(r.counts.totalTokens)}`,
          ]),
        ),
      )}
      ${section(
        "recent",
        "Recent requests",
        grid(
          ["Time (UTC)", "Route", "Model", "#Status", "Error", "#Duration", "#Tokens"],
          d.recent.map((r) => [
            html`${when(r.at)}`,
            html`<code>${r.method} ${r.route}</code>`,
            html`${r.model ?? ""}`,
            html`${r.status}`,
            html`${r.errorCode ?? ""}`,
            html`${n(r.durationMs)} ms`,
            html`${r.usage ? n(r.usage.totalTokens) : ""}`,
          ]),
          "data-recent",
          "data-request",
        ),
      )}`,
  );
}

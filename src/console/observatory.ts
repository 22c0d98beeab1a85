// The key holder's dashboard pages (/observatory): server-rendered, read-only, no script at all. The
// figures are the signed-in key's own: its counters against its limits, the last seven UTC days of
// requests, errors and tokens, by day and by model, and its latest requests' metadata.
import { html } from "hono/html";
import type { KeyUsageSnapshot } from "../core/key-usage.ts";
import type { Credential, Pool, RequestLog } from "../core/model.ts";
import { credentialPrefix } from "../core/secrets-format.ts";
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
const when = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 19);

function used(value: number, limit: number | undefined): Html {
  if (!limit) return html`<td class="num" data-used>${n(value)}</td><td class="num">no limit</td><td></td>`;
  const percent = Math.min(100, Math.round((value / limit) * 100));
  return html`<td class="num" data-used>${n(value)}</td><td class="num" data-limit>${n(limit)}</td>
    <td class="num" data-percent>${percent}%</td>`;
}

export function observatoryDashboardPage(d: DashboardData): Html {
  const p = d.key.policy ?? {};
  const totals = d.byDay.totals;
  return shell(
    "Key dashboard",
    html`<header class="top">
        <span class="brand">Key dashboard</span>
        <form method="post" action="${OBSERVATORY_BASE}/logout">
          <button type="submit" class="secondary">Sign out</button>
        </form>
      </header>
      <h1>${credentialPrefix("pool_key", d.key.id)}${d.key.label ? html` · ${d.key.label}` : ""}</h1>
      <p class="muted">
        Pool <strong data-pool>${d.pool.name}</strong> · read-only · figures at ${when(d.usage.at)} UTC · this
        session ends ${when(d.sessionEndsAt)} UTC
      </p>

      <section aria-labelledby="totals">
        <h2 id="totals">Last 7 days (${d.byDay.fromDay} to ${d.byDay.toDay}, UTC)</h2>
        <dl class="cards">
          <div class="card"><dt>Requests</dt><dd data-requests>${n(totals.requests)}</dd></div>
          <div class="card"><dt>Errors</dt><dd data-errors>${n(totals.errors)}</dd></div>
          <div class="card"><dt>Tokens</dt><dd data-tokens>${n(totals.totalTokens)}</dd></div>
          <div class="card"><dt>Cached input tokens</dt><dd>${n(totals.cachedTokens)}</dd></div>
        </dl>
      </section>

      <section aria-labelledby="limits">
        <h2 id="limits">Limits</h2>
        <div class="table-wrap">
          <table data-limits>
            <thead><tr><th>Window</th><th class="num">Used</th><th class="num">Limit</th><th class="num">Of limit</th><th>Resets</th></tr></thead>
            <tbody>
              <tr data-window="minute"><th>Requests this minute</th>${used(d.usage.minute.requests, p.requestsPerMinute)}<td>${when(d.usage.windows.minute.endsAt)}</td></tr>
              <tr data-window="day"><th>Tokens today</th>${used(d.usage.day.tokens, p.tokensPerDay)}<td>${when(d.usage.windows.day.endsAt)}</td></tr>
              <tr data-window="week"><th>Tokens this week</th>${used(d.usage.week.tokens, p.tokensPerWeek)}<td>${when(d.usage.windows.week.endsAt)}</td></tr>
            </tbody>
          </table>
        </div>
        <p class="muted">
          Models: ${p.allowedModels ? (p.allowedModels.length ? p.allowedModels.join(", ") : "none") : "any"} ·
          highest reasoning effort: ${p.maxReasoningEffort ?? "any"}
        </p>
      </section>

      <section aria-labelledby="days">
        <h2 id="days">By day</h2>
        <div class="table-wrap">
          <table>
            <thead><tr><th>Day</th><th class="num">Requests</th><th class="num">Errors</th><th class="num">Input</th><th class="num">Cached</th><th class="num">Output</th><th class="num">Total tokens</th></tr></thead>
            <tbody>
              ${d.byDay.rows.length === 0 ? html`<tr><td colspan="7" class="muted">No requests yet.</td></tr>` : ""}
              ${d.byDay.rows.map(
                (r) =>
                  html`<tr><th>${r.group}</th><td class="num">${n(r.counts.requests)}</td><td class="num">${n(r.counts.errors)}</td><td class="num">${n(r.counts.inputTokens)}</td><td class="num">${n(r.counts.cachedTokens)}</td><td class="num">${n(r.counts.outputTokens)}</td><td class="num">${n(r.counts.totalTokens)}</td></tr>`,
              )}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="models">
        <h2 id="models">By model</h2>
        <div class="table-wrap">
          <table>
            <thead><tr><th>Model</th><th class="num">Requests</th><th class="num">Errors</th><th class="num">Total tokens</th></tr></thead>
            <tbody>
              ${d.byModel.rows.length === 0 ? html`<tr><td colspan="4" class="muted">No requests yet.</td></tr>` : ""}
              ${d.byModel.rows.map(
                (r) =>
                  html`<tr><th>${r.group || "(none)"}</th><td class="num">${n(r.counts.requests)}</td><td class="num">${n(r.counts.errors)}</td><td class="num">${n(r.counts.totalTokens)}</td></tr>`,
              )}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="recent">
        <h2 id="recent">Recent requests</h2>
        <div class="table-wrap">
          <table data-recent>
            <thead><tr><th>Time (UTC)</th><th>Route</th><th>Model</th><th class="num">Status</th><th>Error</th><th class="num">Duration</th><th class="num">Tokens</th></tr></thead>
            <tbody>
              ${d.recent.length === 0 ? html`<tr><td colspan="7" class="muted">No requests yet.</td></tr>` : ""}
              ${d.recent.map(
                (r) =>
                  html`<tr data-request><td>${when(r.at)}</td><td><code>${r.method} ${r.route}</code></td><td>${r.model ?? ""}</td><td class="num">${r.status}</td><td>${r.errorCode ?? ""}</td><td class="num">${n(r.durationMs)} ms</td><td class="num">${r.usage ? n(r.usage.totalTokens) : ""}</td></tr>`,
              )}
            </tbody>
          </table>
        </div>
      </section>`,
  );
}

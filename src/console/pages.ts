// Page skeletons: headings, forms and empty regions with `data-*` hooks the client script fills.
// Forms post to /admin/no-script so that, without the script, nothing typed (an auth.json, a token)
// ever lands in a URL.
import { html } from "hono/html";
import {
  ALERT_RULE_KINDS,
  ALERT_SEVERITIES,
  CHANNEL_FORMATS,
  REASONING_EFFORTS,
  ROUTING_STRATEGIES,
  WINDOW_SELECTORS,
} from "../admin-contract/enums.ts";
import { type Html, href } from "./layout.ts";

const NO_SCRIPT = href("/no-script");

const options = (values: readonly string[], selected?: string) =>
  values.map((v) => html`<option value="${v}"${v === selected ? html` selected` : ""}>${v}</option>`);

const loading = html`<p class="muted">Loading…</p>`;

/** A labelled control: the label names the control alone (not the options inside it). */
const field = (id: string, label: string, control: Html, wide = false) =>
  html`<div class="field${wide ? " wide" : ""}"><label for="${id}">${label}</label>${control}</div>`;

const input = (id: string, label: string, name: string, attrs: Html | string = "") =>
  field(id, label, html`<input id="${id}" name="${name}" autocomplete="off" ${attrs} />`);

const poolSelect = (id: string, { any = false } = {}) =>
  field(
    id,
    "Pool",
    html`<select id="${id}" name="pool" data-pool-select${any ? html` data-any="All pools"` : html` required`}>
      ${any ? html`<option value="">All pools</option>` : ""}
    </select>`,
  );

export function overviewPage(): Html {
  return html`<section aria-labelledby="h-glance">
      <h2 id="h-glance">At a glance</h2>
      <div data-summary>${loading}</div>
    </section>
    <section aria-labelledby="h-capacity">
      <h2 id="h-capacity">Capacity by pool</h2>
      <p class="hint">
        Quota remaining is the mean over a pool's accounts that have quota evidence (response headers or the usage
        poll); available accounts are active and not exhausted.
      </p>
      <div data-capacity>${loading}</div>
    </section>
    <section aria-labelledby="h-traffic">
      <h2 id="h-traffic">Requests and errors, last 24 hours</h2>
      <p class="hint">From the request logs, per hour (local time). Errors are answers with status 400 or above.</p>
      <div data-traffic>${loading}</div>
    </section>
    <section aria-labelledby="h-daily">
      <h2 id="h-daily">Daily usage</h2>
      <p class="hint">From the usage rollups: requests, errors and tokens per UTC day and per model.</p>
      <div data-daily>${loading}</div>
    </section>`;
}

export function poolsPage(): Html {
  return html`<section aria-labelledby="h-create-pool" data-owner-only>
      <h2 id="h-create-pool">Create a pool</h2>
      <form data-form="create-pool" method="post" action="${NO_SCRIPT}" class="row">
        ${input(
          "pool-name",
          "Name",
          "name",
          html`required maxlength="63" pattern="[a-z0-9][a-z0-9_\\-]{0,62}" aria-describedby="pool-name-hint"`,
        )}
        ${field(
          "pool-strategy",
          "Strategy",
          html`<select id="pool-strategy" name="strategy">${options(ROUTING_STRATEGIES, "bridge_ring")}</select>`,
        )}
        ${input("pool-ring", "Ring size", "ringSize", html`type="number" min="1" max="16" value="3" required`)}
        <button type="submit">Create pool</button>
      </form>
      <p class="hint" id="pool-name-hint">Lowercase letters, digits, “-” or “_”. Pools cannot be renamed.</p>
    </section>
    <section aria-labelledby="h-pools">
      <h2 id="h-pools">Pools</h2>
      <div data-pools>${loading}</div>
    </section>`;
}

export function accountsPage(): Html {
  return html`<section aria-labelledby="h-add-account">
      <h2 id="h-add-account">Add an account</h2>
      <div class="split">
        <form data-form="import-account" method="post" action="${NO_SCRIPT}" class="stack">
          <h3>Import an auth.json</h3>
          <p class="hint">
            From a machine where <code>codex login</code> ran in ChatGPT mode (<code>~/.codex/auth.json</code>).
            The gateway then owns the login: stop using that file elsewhere.
          </p>
          ${poolSelect("import-pool")} ${input("import-label", "Label (optional)", "label", html`maxlength="160"`)}
          ${field(
            "import-json",
            "auth.json contents",
            html`<textarea id="import-json" name="authJson" rows="6" spellcheck="false" autocomplete="off"></textarea>`,
          )}
          ${input("import-file", "…or choose the file", "authFile", html`type="file" accept=".json,application/json"`)}
          <button type="submit">Import account</button>
        </form>
        <form data-form="device-login" method="post" action="${NO_SCRIPT}" class="stack" id="device-login">
          <h3>Sign in with a device code</h3>
          <p class="hint">
            Open the link on any device, sign in to the ChatGPT account and enter the code. Signing in again to a
            known account re-authenticates it and keeps its id.
          </p>
          ${poolSelect("device-pool")} ${input("device-label", "Label (optional)", "label", html`maxlength="160"`)}
          <button type="submit">Start device sign-in</button>
          <div data-device-flow class="flow" hidden></div>
        </form>
        <form data-form="browser-login" method="post" action="${NO_SCRIPT}" class="stack">
          <h3>Sign in in a browser</h3>
          <p class="hint">
            For workspaces without device-code sign-in. The browser ends on a page under
            <code>http://localhost:1455/</code> that may not load: copy that whole address back here.
          </p>
          ${poolSelect("browser-pool")} ${input("browser-label", "Label (optional)", "label", html`maxlength="160"`)}
          <button type="submit">Start browser sign-in</button>
          <div data-browser-flow class="flow" hidden></div>
        </form>
      </div>
      <div data-import-result></div>
    </section>
    <section aria-labelledby="h-accounts">
      <h2 id="h-accounts">Accounts</h2>
      <form data-form="account-filter" class="row" method="post" action="${NO_SCRIPT}">
        ${poolSelect("accounts-pool", { any: true })}
      </form>
      <div data-accounts>${loading}</div>
    </section>`;
}

export function keysPage(): Html {
  return html`<section aria-labelledby="h-create-key">
      <h2 id="h-create-key">Create a key</h2>
      <form data-form="create-key" method="post" action="${NO_SCRIPT}" class="stack">
        <div class="row">
          ${poolSelect("key-pool")} ${input("key-label", "Label (optional)", "label", html`maxlength="160"`)}
        </div>
        <fieldset>
          <legend>Limits (optional; empty means no cap)</legend>
          <div class="row">
            ${input(
              "key-models",
              "Allowed models",
              "allowedModels",
              html`placeholder="gpt-5.5, gpt-5.4" spellcheck="false"`,
            )}
            ${field(
              "key-effort",
              "Max reasoning effort",
              html`<select id="key-effort" name="maxReasoningEffort">
                <option value="">no cap</option>
                ${options(REASONING_EFFORTS)}
              </select>`,
            )}
            ${input("key-rpm", "Requests / minute", "requestsPerMinute", html`type="number" min="1"`)}
            ${input("key-tpd", "Tokens / day", "tokensPerDay", html`type="number" min="1"`)}
            ${input("key-tpw", "Tokens / week", "tokensPerWeek", html`type="number" min="1"`)}
          </div>
        </fieldset>
        <label class="check"
          ><input type="checkbox" name="dashboardAccess" /> The key's holder may sign in to its read-only
          dashboard at /observatory</label
        >
        <div><button type="submit">Create key</button></div>
      </form>
      <div data-reveal></div>
    </section>
    <section aria-labelledby="h-keys">
      <h2 id="h-keys">Keys</h2>
      <form data-form="key-filter" class="row" method="post" action="${NO_SCRIPT}">
        ${poolSelect("keys-pool", { any: true })}
        <label class="check"><input type="checkbox" name="revoked" /> Show revoked keys</label>
      </form>
      <div data-keys>${loading}</div>
    </section>
    <section aria-labelledby="h-key-usage" data-usage-panel hidden>
      <h2 id="h-key-usage" tabindex="-1">Key usage</h2>
      <div data-key-usage></div>
    </section>`;
}

export function tokensPage(): Html {
  const create = (kind: string, noun: string) =>
    html`<form data-form="create-${kind}-token" class="row" method="post" action="${NO_SCRIPT}">
      ${input(`${kind}-token-label`, "Label (optional)", "label", html`maxlength="160"`)}
      ${field(
        `${kind}-token-role`,
        "Role",
        html`<select id="${kind}-token-role" name="role">
          <option value="owner">owner (every Pool)</option>
          <option value="pool_admin">Pool admin (only the Pools below)</option>
        </select>`,
      )}
      ${input(
        `${kind}-token-pools`,
        "Pools (Pool admin; comma-separated)",
        "pools",
        html`maxlength="2000" placeholder="team-a, team-b"`,
      )}
      <button type="submit">Create ${noun}</button>
    </form>`;
  return html`<section aria-labelledby="h-mcp-gate" data-owner-only>
      <h2 id="h-mcp-gate">MCP endpoint</h2>
      <p class="hint">
        The read-only operator MCP server at <code>/mcp</code>. Turning it off refuses every MCP token (403) without
        revoking any; turn it back on and they work again.
      </p>
      <div data-mcp-gate>${loading}</div>
    </section>
    <section aria-labelledby="h-firewall" data-owner-only>
      <h2 id="h-firewall">Runtime firewall</h2>
      <p class="hint">
        A client-IP allow-list in front of every route (<code>/backend-api</code>, <code>/v1</code>,
        <code>/mcp</code>, this console) except the health probes and the admin API, which stays open so
        an operator can always undo a list that shuts them out. Change it with
        <code>pooler settings set --firewall-allow …</code>.
      </p>
      <div data-firewall>${loading}</div>
    </section>
    <div data-reveal></div>
    <section aria-labelledby="h-mcp-tokens">
      <h2 id="h-mcp-tokens">MCP tokens</h2>
      <p class="hint">
        For MCP clients (<code>mcp-cxp-…</code>), on <code>/mcp</code> only. A token with Pools answers only
        about them.
      </p>
      ${create("mcp", "MCP token")}
      <div data-tokens="mcp">${loading}</div>
    </section>
    <section aria-labelledby="h-admin-tokens" data-owner-only>
      <h2 id="h-admin-tokens">Operators (admin tokens)</h2>
      <p class="hint">
        For this console and the <code>pooler</code> CLI (<code>adm-cxp-…</code>). An owner sees everything; a
        Pool admin only its Pools. The token this tab is signed in with cannot be revoked from here.
      </p>
      ${create("admin", "admin token")}
      <div data-tokens="admin">${loading}</div>
    </section>`;
}

export function invitesPage(): Html {
  return html`<section aria-labelledby="h-invite-create">
      <h2 id="h-invite-create">Invite a teammate</h2>
      <p class="hint">
        A one-time link, valid 24 hours and shown once: the teammate signs in to ChatGPT with a code and the
        account joins the Pool.
      </p>
      <form data-form="create-invite" class="row" method="post" action="${NO_SCRIPT}">
        ${poolSelect("invite-pool")}
        ${input("invite-email", "Email", "email", html`type="email" required maxlength="254"`)}
        ${input("invite-label", "Account label (optional)", "label", html`maxlength="160"`)}
        <button type="submit">Create invite</button>
      </form>
      <div data-reveal></div>
    </section>
    <section aria-labelledby="h-invites">
      <h2 id="h-invites">Invites</h2>
      <form data-form="invite-filter" class="row" method="post" action="${NO_SCRIPT}">
        ${poolSelect("invites-pool", { any: true })}
        ${field(
          "invites-status",
          "Status",
          html`<select id="invites-status" name="status">
            <option value="">Any status</option>
            ${options(["active", "accepted", "revoked", "expired"])}
          </select>`,
        )}
        <button type="submit">Apply</button>
      </form>
      <div data-invites>${loading}</div>
    </section>`;
}

export function logsPage(): Html {
  return html`<form data-form="log-filter" class="row" method="post" action="${NO_SCRIPT}">
      ${poolSelect("logs-pool", { any: true })}
      ${input("logs-key", "Key id", "key", html`pattern="[0-9a-f]{12}" maxlength="12" placeholder="12 hex digits"`)}
      ${field(
        "logs-limit",
        "Page size",
        html`<select id="logs-limit" name="limit">
          ${options(["25", "50", "100", "250"], "50")}
        </select>`,
      )}
      <button type="submit">Apply</button>
    </form>
    <p class="hint">Newest first. Metadata only: the gateway never stores prompts, answers or keys.</p>
    <div data-logs>${loading}</div>
    <div class="row"><button type="button" data-more hidden>Load more</button></div>
    <section aria-labelledby="h-log-detail" data-detail-panel hidden>
      <h2 id="h-log-detail" tabindex="-1">Request detail</h2>
      <div data-detail></div>
    </section>`;
}

export function auditPage(): Html {
  return html`<p class="hint">Every change made through the admin API (console, CLI or scripts), newest first.</p>
    <div data-audit>${loading}</div>
    <div class="row"><button type="button" data-more hidden>Load more</button></div>`;
}

export function alertsPage(): Html {
  const num = (id: string, label: string, name: string, min: number, max: number) =>
    html`<div data-param="${name}">
      ${input(id, label, name, html`type="number" min="${min}" max="${max}" step="any"`)}
    </div>`;
  return html`<div class="row toolbar" data-owner-only>
      <button type="button" class="secondary" data-evaluate>Evaluate the rules now</button>
      <span class="hint">Rules are evaluated on a schedule; this runs them once, now.</span>
    </div>
    <section aria-labelledby="h-incidents">
      <h2 id="h-incidents">Incidents</h2>
      <form data-form="incident-filter" class="row" method="post" action="${NO_SCRIPT}">
        ${field(
          "incident-state",
          "State",
          html`<select id="incident-state" name="state">
            <option value="open">open</option>
            <option value="acknowledged">acknowledged</option>
            <option value="resolved">resolved</option>
            <option value="">all</option>
          </select>`,
        )}
      </form>
      <div data-alert="incidents">${loading}</div>
      <div class="row"><button type="button" data-more hidden>Load more</button></div>
    </section>
    <section aria-labelledby="h-rules">
      <h2 id="h-rules">Rules</h2>
      <details data-create="rule">
        <summary>Add a rule</summary>
        <form data-form="create-rule" method="post" action="${NO_SCRIPT}" class="stack">
          <div class="row">
            ${poolSelect("rule-pool")}
            ${field(
              "rule-kind",
              "Kind",
              html`<select id="rule-kind" name="kind">
                ${options(ALERT_RULE_KINDS)}
              </select>`,
            )}
            ${input("rule-name", "Name (optional)", "displayName", html`maxlength="160"`)}
            ${field(
              "rule-severity",
              "Severity",
              html`<select id="rule-severity" name="severity">
                <option value="">default</option>
                ${options(ALERT_SEVERITIES)}
              </select>`,
            )}
            ${input("rule-cooldown", "Repeat after (minutes)", "cooldownMinutes", html`type="number" min="5" max="1440"`)}
          </div>
          <div class="row" data-params>
            <div data-param="model">${input("rule-model", "Model (optional)", "model", html`spellcheck="false"`)}</div>
            ${num("rule-min-usable", "Fewer usable accounts than", "minUsableAssignments", 1, 1000)}
            <div data-param="targetState">
              ${field("rule-target", "State", html`<select id="rule-target" name="targetState"></select>`)}
            </div>
            <div data-param="windowSelector">
              ${field(
                "rule-window",
                "Quota window",
                html`<select id="rule-window" name="windowSelector">
                  ${options(WINDOW_SELECTORS)}
                </select>`,
              )}
            </div>
            ${num("rule-used", "Used percent at least", "thresholdUsedPercent", 1, 100)}
            ${num("rule-window-minutes", "Over the last (minutes)", "windowMinutes", 5, 1440)}
            ${num("rule-error-percent", "Error percent at least", "thresholdErrorPercent", 1, 100)}
            ${num("rule-min-requests", "With at least (requests)", "minRequests", 1, 100000)}
          </div>
          <fieldset data-channel-choices>
            <legend>Notify these channels</legend>
            <p class="muted">No channels yet.</p>
          </fieldset>
          <div><button type="submit">Add rule</button></div>
        </form>
      </details>
      <div data-alert="rules">${loading}</div>
    </section>
    <section aria-labelledby="h-channels" data-owner-only>
      <h2 id="h-channels">Channels</h2>
      <details data-create="channel">
        <summary>Add a webhook channel</summary>
        <form data-form="create-channel" method="post" action="${NO_SCRIPT}" class="stack">
          <div class="row">
            ${input("channel-name", "Name", "name", html`required maxlength="160"`)}
            ${field(
              "channel-url",
              "HTTPS URL",
              html`<input id="channel-url" name="url" type="url" required autocomplete="off" spellcheck="false" />`,
              true,
            )}
            ${field(
              "channel-format",
              "Payload",
              html`<select id="channel-format" name="format">
                ${CHANNEL_FORMATS.map((f) => html`<option value="${f}">${f === "slack" ? "Slack-compatible" : "JSON"}</option>`)}
              </select>`,
            )}
          </div>
          ${input(
            "channel-secret",
            "Signing secret (optional; at least 16 characters)",
            "secret",
            html`type="password" minlength="16" maxlength="256" aria-describedby="channel-secret-hint"`,
          )}
          <p class="hint" id="channel-secret-hint">
            Leave it empty and the gateway makes one and shows it once. Deliveries carry
            <code>x-codex-pooler-signature: sha256=…</code>, an HMAC with this secret.
          </p>
          <div><button type="submit">Add channel</button></div>
        </form>
      </details>
      <div data-reveal></div>
      <div data-alert="channels">${loading}</div>
    </section>`;
}

/** Where an operator gets a token differs by host: printed by `npm start`, or minted over IAM on AWS. */
export type ConsoleHost = "local" | "aws";

function tokenHint(host: ConsoleHost): Html {
  return host === "aws"
    ? html`<p>
        Paste an admin token (<code>adm-cxp-…</code>). Mint one with your AWS credentials:
        <code>pooler --aws --url &lt;AdminUrl&gt; admin-token create --label console</code> (AdminUrl is a stack
        output), and revoke it the same way when it is no longer needed.
      </p>`
    : html`<p>
        Paste an admin token: an <code>adm-cxp-…</code> token (<code>npm start</code> prints one on first start) or
        the <code>POOLER_ADMIN_TOKEN</code> value the gateway runs with.
      </p>`;
}

export function signInPage(host: ConsoleHost = "local"): Html {
  return html`<form data-form="sign-in" method="post" action="${NO_SCRIPT}" class="stack narrow">
    ${tokenHint(host)}
    <p class="error" data-sign-in-error role="alert" hidden></p>
    ${input("token", "Admin token", "token", html`type="password" required spellcheck="false" autofocus`)}
    <p class="hint">
      Kept in this tab only (session storage) and sent to this gateway's admin API. Closing the tab or signing out
      forgets it.
    </p>
    <div><button type="submit">Sign in</button></div>
  </form>`;
}

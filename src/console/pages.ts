// Page skeletons: headings, forms and empty regions with `data-*` hooks the client script fills.
// Forms post to /admin/no-script so that, without the script, nothing typed (an auth.json, a token)
// ever lands in a URL.
import { html } from "hono/html";
import { REASONING_EFFORTS, ROUTING_STRATEGIES } from "../core/model.ts";
import { type Html, href } from "./layout.ts";

const NO_SCRIPT = href("/no-script");

const options = (values: readonly string[], selected?: string) =>
  values.map((v) => html`<option value="${v}"${v === selected ? html` selected` : ""}>${v}</option>`);

const loading = html`<p class="muted">Loading…</p>`;

const poolSelect = (name: string, label: string, { any = false, required = true } = {}) =>
  html`<label
    >${label}
    <select name="${name}" data-pool-select${any ? html` data-any="All pools"` : ""}${required ? html` required` : ""}>
      ${any ? html`<option value="">All pools</option>` : ""}
    </select></label
  >`;

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
      <div data-daily>${loading}</div>
    </section>`;
}

export function poolsPage(): Html {
  return html`<section aria-labelledby="h-create-pool">
      <h2 id="h-create-pool">Create a pool</h2>
      <form data-form="create-pool" method="post" action="${NO_SCRIPT}" class="row">
        <label
          >Name
          <input
            name="name"
            required
            maxlength="63"
            pattern="[a-z0-9][a-z0-9_\\-]{0,62}"
            autocomplete="off"
            aria-describedby="pool-name-hint"
        /></label>
        <label>Strategy <select name="strategy">${options(ROUTING_STRATEGIES, "bridge_ring")}</select></label>
        <label>Ring size <input name="ringSize" type="number" min="1" max="16" value="3" required /></label>
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
          ${poolSelect("pool", "Pool")}
          <label>Label (optional) <input name="label" maxlength="160" autocomplete="off" /></label>
          <label
            >auth.json contents
            <textarea name="authJson" rows="6" spellcheck="false" autocomplete="off"></textarea>
          </label>
          <label>…or choose the file <input name="authFile" type="file" accept=".json,application/json" /></label>
          <button type="submit">Import account</button>
        </form>
        <form data-form="device-login" method="post" action="${NO_SCRIPT}" class="stack" id="device-login">
          <h3>Sign in with a device code</h3>
          <p class="hint">
            Open the link on any device, sign in to the ChatGPT account and enter the code. Signing in again to a
            known account re-authenticates it and keeps its id.
          </p>
          ${poolSelect("pool", "Pool")}
          <label>Label (optional) <input name="label" maxlength="160" autocomplete="off" /></label>
          <button type="submit">Start device sign-in</button>
          <div data-device-flow class="flow" hidden></div>
        </form>
        <form data-form="browser-login" method="post" action="${NO_SCRIPT}" class="stack">
          <h3>Sign in in a browser</h3>
          <p class="hint">
            For workspaces without device-code sign-in. The browser ends on a page under
            <code>http://localhost:1455/</code> that may not load: copy that whole address back here.
          </p>
          ${poolSelect("pool", "Pool")}
          <label>Label (optional) <input name="label" maxlength="160" autocomplete="off" /></label>
          <button type="submit">Start browser sign-in</button>
          <div data-browser-flow class="flow" hidden></div>
        </form>
      </div>
      <div data-import-result></div>
    </section>
    <section aria-labelledby="h-accounts">
      <h2 id="h-accounts">Accounts</h2>
      <form data-form="account-filter" class="row" method="post" action="${NO_SCRIPT}">
        ${poolSelect("pool", "Pool", { any: true, required: false })}
      </form>
      <div data-accounts>${loading}</div>
    </section>`;
}

export function keysPage(): Html {
  return html`<section aria-labelledby="h-create-key">
      <h2 id="h-create-key">Create a key</h2>
      <form data-form="create-key" method="post" action="${NO_SCRIPT}" class="stack">
        <div class="row">
          ${poolSelect("pool", "Pool")}
          <label>Label (optional) <input name="label" maxlength="160" autocomplete="off" /></label>
        </div>
        <fieldset>
          <legend>Limits (optional; empty means no cap)</legend>
          <div class="row">
            <label
              >Allowed models
              <input name="allowedModels" placeholder="gpt-5.5, gpt-5.4" autocomplete="off" spellcheck="false"
            /></label>
            <label
              >Max reasoning effort
              <select name="maxReasoningEffort">
                <option value="">no cap</option>
                ${options(REASONING_EFFORTS)}
              </select></label
            >
            <label>Requests / minute <input name="requestsPerMinute" type="number" min="1" /></label>
            <label>Tokens / day <input name="tokensPerDay" type="number" min="1" /></label>
            <label>Tokens / week <input name="tokensPerWeek" type="number" min="1" /></label>
          </div>
        </fieldset>
        <div><button type="submit">Create key</button></div>
      </form>
      <div data-reveal></div>
    </section>
    <section aria-labelledby="h-keys">
      <h2 id="h-keys">Keys</h2>
      <form data-form="key-filter" class="row" method="post" action="${NO_SCRIPT}">
        ${poolSelect("pool", "Pool", { any: true, required: false })}
        <label class="check"><input type="checkbox" name="revoked" /> Show revoked keys</label>
      </form>
      <div data-keys>${loading}</div>
    </section>
    <section aria-labelledby="h-key-usage" data-usage-panel hidden>
      <h2 id="h-key-usage" tabindex="-1">Key usage</h2>
      <div data-key-usage></div>
    </section>`;
}

export function logsPage(): Html {
  return html`<form data-form="log-filter" class="row" method="post" action="${NO_SCRIPT}">
      ${poolSelect("pool", "Pool", { any: true, required: false })}
      <label
        >Key id
        <input name="key" pattern="[0-9a-f]{12}" maxlength="12" placeholder="12 hex digits" autocomplete="off"
      /></label>
      <label
        >Page size
        <select name="limit">
          ${options(["25", "50", "100", "250"], "50")}
        </select></label
      >
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
  return html`<section aria-labelledby="h-incidents">
      <h2 id="h-incidents">Incidents</h2>
      <div data-alert="incidents">${loading}</div>
    </section>
    <section aria-labelledby="h-rules">
      <h2 id="h-rules">Rules</h2>
      <div data-alert="rules">${loading}</div>
    </section>
    <section aria-labelledby="h-channels">
      <h2 id="h-channels">Channels</h2>
      <div data-alert="channels">${loading}</div>
    </section>`;
}

export function signInPage(): Html {
  return html`<form data-form="sign-in" method="post" action="${NO_SCRIPT}" class="stack narrow">
    <p>
      Paste an admin token: an <code>adm-cxp-…</code> token (<code>npm start</code> prints one on first start) or
      the <code>POOLER_ADMIN_TOKEN</code> value the gateway runs with.
    </p>
    <p class="error" data-sign-in-error role="alert" hidden></p>
    <label
      >Admin token
      <input name="token" type="password" required autocomplete="off" spellcheck="false" autofocus
    /></label>
    <p class="hint">
      Kept in this tab only (session storage) and sent to this gateway's admin API. Closing the tab or signing out
      forgets it.
    </p>
    <div><button type="submit">Sign in</button></div>
  </form>`;
}

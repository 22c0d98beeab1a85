// Accounts: import an auth.json, device-code and browser sign-in (also how an account is
// re-authenticated), the account table with quota windows and reset countdowns, pause/resume/remove.
import { api } from "./api.js";
import { meter } from "./charts.js";
import { h, replace, safeUrl } from "./dom.js";
import { act, announce, errorText, failed } from "./feedback.js";
import { ago, badge, countdown, fmtPct, timeEl } from "./format.js";
import { fillPoolSelects } from "./forms.js";
import { table } from "./tables.js";

let pools = [];
let deviceTimer;
let deviceFlowId;

function filterPool() {
  return document.querySelector('form[data-form="account-filter"] select').value;
}

function windowCell(used, resetAt, minutes) {
  if (used === null || used === undefined) return h("span", { class: "muted" }, "no evidence");
  return h(
    "div",
    null,
    h(
      "div",
      null,
      `${fmtPct(used)} used`,
      minutes
        ? h(
            "span",
            { class: "muted" },
            ` of ${minutes >= 1440 ? `${minutes / 1440} d` : `${minutes / 60} h`}`,
          )
        : null,
    ),
    meter(used),
    countdown(resetAt),
  );
}

function statusCell(a) {
  return h(
    "div",
    null,
    badge(a.status),
    a.status === "refresh_failed" && a.refreshRetryAt
      ? h("div", { class: "hint" }, "retry ", countdown(a.refreshRetryAt, "retry"))
      : null,
    a.quota?.exhaustedUntil && Date.parse(a.quota.exhaustedUntil) > Date.now()
      ? h("div", { class: "hint" }, "exhausted, ", countdown(a.quota.exhaustedUntil, "usable"))
      : null,
  );
}

function actions(a) {
  const buttons = [];
  if (a.status === "paused") {
    buttons.push(
      h(
        "button",
        {
          type: "button",
          class: "small",
          "data-action": "resume",
          onclick: (e) => setStatus(e.currentTarget, a, "resume"),
        },
        "Resume",
      ),
    );
  } else if (a.status !== "reauth_required") {
    buttons.push(
      h(
        "button",
        {
          type: "button",
          class: "small secondary",
          "data-action": "pause",
          onclick: (e) => setStatus(e.currentTarget, a, "pause"),
        },
        "Pause",
      ),
    );
  }
  buttons.push(
    h(
      "button",
      {
        type: "button",
        class: a.status === "reauth_required" ? "small" : "small secondary",
        "data-action": "reauth",
        onclick: () => reauth(a),
      },
      "Re-auth",
    ),
    h(
      "button",
      {
        type: "button",
        class: "small danger",
        "data-action": "remove",
        onclick: (e) => remove(e.currentTarget, a),
      },
      "Remove",
    ),
  );
  return h("div", { class: "actions", role: "group", "aria-label": `Actions for ${a.label}` }, buttons);
}

async function setStatus(button, account, action) {
  const done = await act(
    button,
    () => api("POST", `/accounts/${account.id}/${action}`),
    (r) => `${r.account.label} is now ${r.account.status}.`,
  );
  if (done) await loadAccounts();
}

async function remove(button, account) {
  if (
    !confirm(
      `Remove account ${account.label}? Its tokens are deleted from the gateway and it leaves every pool.`,
    )
  )
    return;
  const done = await act(button, () => api("DELETE", `/accounts/${account.id}`), `Removed ${account.label}.`);
  if (done) await loadAccounts();
}

/** Re-auth is a device sign-in into the account's pool: a known login keeps its id and comes back active. */
function reauth(account) {
  const form = document.querySelector('form[data-form="device-login"]');
  form.elements.pool.value = account.pools[0] ?? form.elements.pool.value;
  form.elements.label.value = account.label;
  form.scrollIntoView({ block: "start" });
  form.requestSubmit();
}

async function loadAccounts() {
  const pool = filterPool();
  try {
    const { data } = await api("GET", `/accounts${pool ? `?pool=${encodeURIComponent(pool)}` : ""}`);
    replace(
      "[data-accounts]",
      table({
        caption: pool ? `Accounts in ${pool}` : "All accounts",
        empty: "No accounts yet: import an auth.json or sign in above.",
        columns: [
          {
            title: "Account",
            cell: (a) =>
              h(
                "div",
                null,
                h("strong", { class: "block" }, a.label),
                h("code", { class: "muted block" }, a.id),
                a.email ? h("span", { class: "hint block" }, a.email) : null,
              ),
          },
          { title: "Status", cell: statusCell },
          { title: "Plan", cell: (a) => a.planType ?? "—" },
          { title: "Pools", cell: (a) => a.pools.join(", ") },
          {
            title: "Short window",
            cell: (a) =>
              windowCell(a.quota?.primaryUsedPercent, a.quota?.primaryResetAt, a.quota?.primaryWindowMinutes),
          },
          {
            title: "Long window",
            cell: (a) =>
              windowCell(
                a.quota?.secondaryUsedPercent,
                a.quota?.secondaryResetAt,
                a.quota?.secondaryWindowMinutes,
              ),
          },
          { title: "Last error", cell: (a) => (a.lastErrorCode ? h("code", null, a.lastErrorCode) : "—") },
          { title: "Last used", cell: (a) => ago(a.lastUsedAt) },
          { title: "Actions", cell: actions },
        ],
        rows: data,
        rowProps: (a) => ({ "data-account": a.id, "data-status": a.status }),
      }),
    );
  } catch (error) {
    replace("[data-accounts]", failed(error));
  }
}

function completed(result, where) {
  const account = result.account;
  replace(
    where,
    h(
      "div",
      { role: "status" },
      h(
        "p",
        null,
        h("strong", null, `Account ${account.label}`),
        ` (${account.id}) is ${account.status} in ${account.pools.join(", ")}.`,
      ),
      result.warnings?.length
        ? h(
            "ul",
            { class: "hint" },
            result.warnings.map((w) => h("li", null, w)),
          )
        : null,
    ),
  );
  announce(`Added account ${account.label}.`);
}

function wireImport() {
  const form = document.querySelector('form[data-form="import-account"]');
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = form.elements.authFile.files?.[0];
    const text = file ? await file.text() : form.elements.authJson.value;
    if (!text.trim()) {
      announce("Paste the auth.json contents or choose the file.", { bad: true });
      return;
    }
    let authJson;
    try {
      authJson = JSON.parse(text);
    } catch {
      announce("That auth.json is not valid JSON: paste the whole file.", { bad: true });
      return;
    }
    const body = { pool: form.elements.pool.value, authJson };
    const label = form.elements.label.value.trim();
    if (label) body.label = label;
    const result = await act(form.querySelector('button[type="submit"]'), () =>
      api("POST", "/accounts/import", body),
    );
    if (result) {
      // The pasted tokens leave the page as soon as the gateway has them.
      form.elements.authJson.value = "";
      form.elements.authFile.value = "";
      form.elements.label.value = "";
      completed(result, "[data-import-result]");
      await loadAccounts();
    }
  });
}

function stopDevice() {
  clearTimeout(deviceTimer);
  deviceTimer = undefined;
  deviceFlowId = undefined;
}

function wireDevice() {
  const form = document.querySelector('form[data-form="device-login"]');
  const panel = form.querySelector("[data-device-flow]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    stopDevice();
    const body = { pool: form.elements.pool.value };
    const label = form.elements.label.value.trim();
    if (label) body.label = label;
    const started = await act(form.querySelector('button[type="submit"]'), () =>
      api("POST", "/accounts/oauth/device", body),
    );
    if (!started) return;
    const flow = started.flow;
    deviceFlowId = flow.id;
    const link = safeUrl(flow.verificationUrl);
    const status = h("p", { "data-flow-status": "pending", role: "status" }, "Waiting for approval…");
    const cancel = h(
      "button",
      {
        type: "button",
        class: "secondary",
        onclick: () => {
          stopDevice();
          panel.hidden = true;
          announce("Stopped waiting. The code is not redeemed.");
        },
      },
      "Cancel",
    );
    panel.hidden = false;
    replace(
      panel,
      h(
        "p",
        null,
        "Open ",
        link
          ? h("a", { href: link, target: "_blank", rel: "noopener noreferrer" }, link)
          : flow.verificationUrl,
        " and enter this code:",
      ),
      h("p", { class: "user-code", "data-user-code": true, tabindex: "0" }, flow.userCode),
      h(
        "p",
        { class: "hint" },
        "The code works until ",
        timeEl(flow.expiresAt),
        " (",
        countdown(flow.expiresAt, "expiry"),
        ").",
      ),
      status,
      cancel,
    );
    panel.querySelector("[data-user-code]").focus();
    const poll = async (seconds) => {
      deviceTimer = setTimeout(async () => {
        if (deviceFlowId !== flow.id) return;
        try {
          const result = await api("POST", `/accounts/oauth/device/${flow.id}/poll`);
          if (deviceFlowId !== flow.id) return;
          if (result.status === "complete") {
            stopDevice();
            status.dataset.flowStatus = "complete";
            completed(result, panel);
            form.elements.label.value = "";
            await loadAccounts();
            return;
          }
          if (result.status === "slow_down")
            status.textContent = `Still waiting; the auth server asked to check every ${result.intervalSeconds}s.`;
          poll(result.intervalSeconds ?? seconds);
        } catch (error) {
          stopDevice();
          status.dataset.flowStatus = "failed";
          status.textContent = `Sign-in failed: ${errorText(error)}`;
          announce(status.textContent, { bad: true });
        }
      }, Math.max(1, seconds) * 1000);
    };
    poll(flow.intervalSeconds ?? 5);
  });
}

function wireBrowser() {
  const form = document.querySelector('form[data-form="browser-login"]');
  const panel = form.querySelector("[data-browser-flow]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { pool: form.elements.pool.value };
    const label = form.elements.label.value.trim();
    if (label) body.label = label;
    const started = await act(form.querySelector('button[type="submit"]'), () =>
      api("POST", "/accounts/oauth/browser", body),
    );
    if (!started) return;
    const flow = started.flow;
    const link = safeUrl(flow.authorizeUrl);
    const callback = h("input", {
      type: "url",
      id: "browser-callback",
      autocomplete: "off",
      spellcheck: "false",
    });
    const complete = h("button", { type: "button" }, "Complete sign-in");
    complete.addEventListener("click", async () => {
      const result = await act(complete, () =>
        api("POST", `/accounts/oauth/browser/${flow.id}/callback`, { callbackUrl: callback.value.trim() }),
      );
      if (result) {
        completed(result, panel);
        await loadAccounts();
      }
    });
    panel.hidden = false;
    replace(
      panel,
      h(
        "p",
        null,
        link
          ? h("a", { href: link, target: "_blank", rel: "noopener noreferrer" }, "Open the sign-in page")
          : "The gateway gave no sign-in link.",
        " (works until ",
        timeEl(flow.expiresAt),
        ").",
      ),
      h(
        "div",
        { class: "field" },
        h("label", { for: "browser-callback" }, "The address the browser ended on"),
        callback,
      ),
      complete,
    );
  });
}

export async function init() {
  try {
    ({ data: pools } = await api("GET", "/pools"));
  } catch (error) {
    replace("[data-accounts]", failed(error));
    return;
  }
  fillPoolSelects(pools);
  wireImport();
  wireDevice();
  wireBrowser();
  document.querySelector('form[data-form="account-filter"]').addEventListener("change", loadAccounts);
  document
    .querySelector('form[data-form="account-filter"]')
    .addEventListener("submit", (e) => e.preventDefault());
  await loadAccounts();
}

// Pool API keys: create (the raw key shown once), pause/resume, rotate (shown once again), revoke,
// delete, the holder's dashboard access (/observatory) on or off, and a per-key usage view (counters against the key's limits, requests per hour from the logs).
import { api, pages, probe } from "./api.js";
import { barChart, hourlyBuckets, percentBars } from "./charts.js";
import { h, replace } from "./dom.js";
import { act, failed, revealSecret, unavailable } from "./feedback.js";
import { ago, badge, countdown, fmtInt, plural, timeEl } from "./format.js";
import { fillPoolSelects } from "./forms.js";
import { table } from "./tables.js";
import { dailyUsage, sinceDays } from "./usage.js";

const DAY_MS = 86_400_000;
const ONCE =
  "Copy it now: the gateway keeps only a hash, so this is the only time it is shown. Clients send it as Authorization: Bearer.";

function filters() {
  const form = document.querySelector('form[data-form="key-filter"]');
  return { pool: form.elements.pool.value, revoked: form.elements.revoked.checked };
}

function limits(policy) {
  const parts = [];
  if (policy.allowedModels) parts.push(`models: ${policy.allowedModels.join(", ") || "none"}`);
  if (policy.maxReasoningEffort) parts.push(`effort ≤ ${policy.maxReasoningEffort}`);
  if (policy.requestsPerMinute) parts.push(`${fmtInt(policy.requestsPerMinute)} req/min`);
  if (policy.tokensPerDay) parts.push(`${fmtInt(policy.tokensPerDay)} tokens/day`);
  if (policy.tokensPerWeek) parts.push(`${fmtInt(policy.tokensPerWeek)} tokens/week`);
  return parts.length ? parts.join("; ") : h("span", { class: "muted" }, "no limits");
}

function actions(k) {
  if (k.status === "revoked") return h("span", { class: "muted" }, "revoked ", timeEl(k.revokedAt));
  const button = (action, text, cls, run) =>
    h(
      "button",
      { type: "button", class: `small ${cls}`, "data-action": action, onclick: (e) => run(e.currentTarget) },
      text,
    );
  return h(
    "div",
    { class: "actions", role: "group", "aria-label": `Actions for ${k.prefix}` },
    button("usage", "Usage", "secondary", () => showUsage(k)),
    k.status === "paused"
      ? button("resume", "Resume", "", (b) => setStatus(b, k, "resume"))
      : button("pause", "Pause", "secondary", (b) => setStatus(b, k, "pause")),
    k.dashboardAccess
      ? button("dashboard-off", "Dashboard off", "secondary", (b) => setDashboard(b, k, false))
      : button("dashboard-on", "Dashboard on", "secondary", (b) => setDashboard(b, k, true)),
    button("rotate", "Rotate", "secondary", (b) => rotate(b, k)),
    button("revoke", "Revoke", "danger", (b) => revoke(b, k)),
    button("delete", "Delete", "danger", (b) => remove(b, k)),
  );
}

async function setDashboard(button, key, on) {
  if (
    await act(
      button,
      () => api("PATCH", `/keys/${key.id}`, { dashboardAccess: on }),
      on
        ? `${key.prefix}'s holder can now sign in at /observatory.`
        : `${key.prefix}'s dashboard access is off; its sessions have ended.`,
    )
  ) {
    await loadKeys();
  }
}

async function remove(button, key) {
  if (!confirm(`Delete ${key.prefix}? This is permanent: clients using it get 401 at once.`)) return;
  if (await act(button, () => api("DELETE", `/keys/${key.id}`), `${key.prefix} is deleted.`))
    await loadKeys();
}

async function setStatus(button, key, action) {
  if (
    await act(
      button,
      () => api("POST", `/keys/${key.id}/${action}`),
      (r) => `${r.key.prefix} is now ${r.key.status}.`,
    )
  ) {
    await loadKeys();
  }
}

async function rotate(button, key) {
  if (!confirm(`Rotate ${key.prefix}? The current secret stops working at once.`)) return;
  const result = await act(button, () => api("POST", `/keys/${key.id}/rotate`));
  if (!result) return;
  revealSecret(document.querySelector("[data-reveal]"), {
    title: `New secret for ${result.key.prefix}`,
    secret: result.secret,
    note: ONCE,
  });
  await loadKeys();
}

async function revoke(button, key) {
  if (!confirm(`Revoke ${key.prefix}? This is permanent: clients using it get 401 at once.`)) return;
  if (await act(button, () => api("POST", `/keys/${key.id}/revoke`), `${key.prefix} is revoked.`))
    await loadKeys();
}

async function loadKeys() {
  const { pool, revoked } = filters();
  try {
    const { data } = await api("GET", `/keys${pool ? `?pool=${encodeURIComponent(pool)}` : ""}`);
    const rows = revoked ? data : data.filter((k) => k.status !== "revoked");
    replace(
      "[data-keys]",
      table({
        caption: `${rows.length} key${rows.length === 1 ? "" : "s"}${pool ? ` in ${pool}` : ""}`,
        empty: "No keys yet.",
        columns: [
          {
            title: "Key",
            cell: (k) => h("div", null, h("code", null, k.prefix), k.label ? h("div", null, k.label) : null),
          },
          { title: "Pool", cell: (k) => k.pool },
          { title: "Status", cell: (k) => badge(k.status) },
          { title: "Limits", cell: (k) => limits(k.policy) },
          { title: "Dashboard", cell: (k) => (k.dashboardAccess ? "on" : "off") },
          { title: "Created", cell: (k) => timeEl(k.createdAt) },
          { title: "Last used", cell: (k) => ago(k.lastUsedAt) },
          { title: "Actions", cell: actions },
        ],
        rows,
        rowProps: (k) => ({
          "data-key": k.id,
          "data-status": k.status,
          "data-dashboard": k.dashboardAccess ? "on" : "off",
        }),
      }),
    );
  } catch (error) {
    replace("[data-keys]", failed(error));
  }
}

function counters(usage) {
  const rows = [
    {
      window: "This minute",
      requests: usage.minute.requests,
      tokens: null,
      limit: usage.minute.requestsLimit,
      unit: "requests",
      resetsAt: usage.minute.resetsAt,
    },
    {
      window: "Today (UTC)",
      requests: usage.day.requests,
      tokens: usage.day.tokens,
      limit: usage.day.tokensLimit,
      unit: "tokens",
      resetsAt: usage.day.resetsAt,
    },
    {
      window: "This week (ISO)",
      requests: usage.week.requests,
      tokens: usage.week.tokens,
      limit: usage.week.tokensLimit,
      unit: "tokens",
      resetsAt: usage.week.resetsAt,
    },
  ];
  const capped = rows.filter((r) => r.limit);
  return [
    table({
      caption: "Counters against the key's limits",
      columns: [
        { title: "Window", cell: (r) => r.window },
        {
          title: "Requests",
          num: true,
          cell: (r) => (r.requests === null ? "not counted" : fmtInt(r.requests)),
        },
        { title: "Tokens", num: true, cell: (r) => (r.tokens === null ? "—" : fmtInt(r.tokens)) },
        { title: "Limit", num: true, cell: (r) => (r.limit ? `${fmtInt(r.limit)} ${r.unit}` : "no cap") },
        { title: "Resets", cell: (r) => countdown(r.resetsAt) },
      ],
      rows,
    }),
    capped.length
      ? percentBars({
          title: "Share of each limit used",
          rows: capped.map((r) => ({
            label: r.window,
            bars: [
              {
                name: "used",
                value: (100 * ((r.unit === "requests" ? r.requests : r.tokens) ?? 0)) / r.limit,
                cls: "bar-1",
              },
            ],
          })),
        })
      : null,
  ];
}

async function showUsage(key) {
  const panel = document.querySelector("[data-usage-panel]");
  const heading = panel.querySelector("h2");
  panel.hidden = false;
  heading.textContent = `Usage of ${key.prefix}${key.label ? ` (${key.label})` : ""}`;
  replace("[data-key-usage]", h("p", { class: "muted" }, "Loading…"));
  heading.focus();
  const since = Date.now() - DAY_MS;
  try {
    const [usage, logs, rollups] = await Promise.all([
      api("GET", `/keys/${key.id}/usage`),
      pages(`/request-logs?key=${key.id}`, { stop: (row) => Date.parse(row.at) < since }),
      probe(`/usage?key=${key.id}&groupBy=day&since=${sinceDays(14)}`),
    ]);
    const buckets = hourlyBuckets(logs, 24);
    replace(
      "[data-key-usage]",
      h("div", { "data-usage-of": key.id }, counters(usage)),
      h("h3", null, "Requests per hour, last 24 hours"),
      barChart({
        title: `Requests per hour for ${key.prefix}`,
        buckets,
        series: [
          { name: "Successful", cls: "bar-1" },
          { name: "Errors", cls: "bar-err" },
        ],
        labelEvery: 3,
      }),
      h(
        "p",
        { class: "hint" },
        `${plural(logs.length, "request")} and ${plural(
          buckets.reduce((n, b) => n + b.tokens, 0),
          "token",
        )} in the last 24 hours.`,
      ),
      h("h3", null, "Per UTC day, last 14 days"),
      rollups.missing
        ? unavailable("Daily usage rollups", "This gateway has no usage rollups yet (GET /admin/v1/usage).")
        : dailyUsage(rollups.data, `Requests per day for ${key.prefix}`),
    );
  } catch (error) {
    replace("[data-key-usage]", failed(error));
  }
}

function policyFrom(form) {
  const policy = {};
  const models = form.elements.allowedModels.value
    .split(",")
    .map((m) => m.trim())
    .filter(Boolean);
  if (models.length) policy.allowedModels = models;
  if (form.elements.maxReasoningEffort.value)
    policy.maxReasoningEffort = form.elements.maxReasoningEffort.value;
  for (const name of ["requestsPerMinute", "tokensPerDay", "tokensPerWeek"]) {
    const value = form.elements[name].value;
    if (value) policy[name] = Number(value);
  }
  return Object.keys(policy).length ? policy : undefined;
}

export async function init() {
  let pools;
  try {
    ({ data: pools } = await api("GET", "/pools"));
  } catch (error) {
    replace("[data-keys]", failed(error));
    return;
  }
  fillPoolSelects(pools);
  const form = document.querySelector('form[data-form="create-key"]');
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { pool: form.elements.pool.value };
    const label = form.elements.label.value.trim();
    if (label) body.label = label;
    if (form.elements.dashboardAccess.checked) body.dashboardAccess = true;
    const policy = policyFrom(form);
    if (policy) body.policy = policy;
    const result = await act(form.querySelector('button[type="submit"]'), () => api("POST", "/keys", body));
    if (!result) return;
    form.elements.label.value = "";
    revealSecret(document.querySelector("[data-reveal]"), {
      title: `New key ${result.key.prefix}${result.key.label ? ` (${result.key.label})` : ""}`,
      secret: result.secret,
      note: ONCE,
    });
    await loadKeys();
  });
  const filter = document.querySelector('form[data-form="key-filter"]');
  filter.addEventListener("change", loadKeys);
  filter.addEventListener("submit", (e) => e.preventDefault());
  await loadKeys();
}

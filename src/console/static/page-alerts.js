// Alerts: incidents (acknowledge, resolve), rules (add, enable/disable, delete) and webhook channels
// (add with a one-time signing-secret reveal, test, enable/disable, delete), all through
// /admin/v1/alert-*. A gateway without those routes gets a plain "not available" panel instead.
import { api, probe, scope } from "./api.js";
import { config, h, replace } from "./dom.js";
import { act, announce, failed, revealSecret, unavailable } from "./feedback.js";
import { badge, fmtInt, plural, timeEl } from "./format.js";
import { fillPoolSelects } from "./forms.js";
import { table } from "./tables.js";

// Which parameters each rule kind takes: the admin contract's RULE_KIND_PARAMS, served in the page's
// config block (src/console/layout.ts); the API's own check stays authoritative.
const kindParams = (kind) => config().alerts?.kindParams?.[kind] ?? [];
const NUMBER_PARAMS = [
  "minUsableAssignments",
  "thresholdUsedPercent",
  "windowMinutes",
  "thresholdErrorPercent",
  "minRequests",
];
const PARAM_LABELS = {
  model: "model",
  minUsableAssignments: "fewer usable than",
  targetState: "state",
  windowSelector: "window",
  thresholdUsedPercent: "used ≥ %",
  windowMinutes: "window (min)",
  thresholdErrorPercent: "errors ≥ %",
  minRequests: "min requests",
};

let channels = [];
let incidentCursor = null;
let incidentRows = [];

const SEVERITY_TONE = { critical: "bad", warning: "warn", info: "muted" };

// ---- Incidents ----

function incidentActions(incident) {
  const buttons = [];
  if (incident.state === "open") {
    buttons.push(
      h(
        "button",
        {
          type: "button",
          class: "small secondary",
          "data-action": "acknowledge",
          onclick: (e) => incidentAction(e.currentTarget, incident, "acknowledge"),
        },
        "Acknowledge",
      ),
    );
  }
  if (incident.state !== "resolved") {
    buttons.push(
      h(
        "button",
        {
          type: "button",
          class: "small secondary",
          "data-action": "resolve",
          onclick: (e) => incidentAction(e.currentTarget, incident, "resolve"),
        },
        "Resolve",
      ),
    );
  }
  return buttons.length
    ? h("div", { class: "actions" }, buttons)
    : h("span", { class: "muted" }, incident.resolution ?? "—");
}

async function incidentAction(button, incident, action) {
  if (
    await act(
      button,
      () => api("POST", `/alert-incidents/${incident.id}/${action}`),
      `Incident ${action === "resolve" ? "resolved" : "acknowledged"}.`,
    )
  ) {
    await loadIncidents();
  }
}

function renderIncidents() {
  replace(
    '[data-alert="incidents"]',
    table({
      caption: `${incidentRows.length} incident${incidentRows.length === 1 ? "" : "s"} shown`,
      empty: "No incidents in this state.",
      columns: [
        { title: "Summary", cell: (i) => i.summary },
        { title: "Severity", cell: (i) => badge(i.severity, SEVERITY_TONE[i.severity]) },
        {
          title: "State",
          cell: (i) =>
            badge(i.state, i.state === "open" ? "bad" : i.state === "acknowledged" ? "warn" : "ok"),
        },
        { title: "Pool", cell: (i) => i.pool },
        { title: "Rule", cell: (i) => h("code", null, i.ruleKind) },
        { title: "Account", cell: (i) => i.accountLabel ?? "—" },
        { title: "Seen", num: true, cell: (i) => `${fmtInt(i.occurrenceCount)}×` },
        { title: "First seen", cell: (i) => timeEl(i.firstSeenAt) },
        { title: "Last seen", cell: (i) => timeEl(i.lastSeenAt) },
        { title: "Actions", cell: incidentActions },
      ],
      rows: incidentRows,
      rowProps: (i) => ({ "data-incident": i.id, "data-state": i.state }),
    }),
  );
  const more = document.querySelector("[data-more]");
  more.hidden = !incidentCursor;
}

async function loadIncidents(more = false) {
  const state = document.querySelector("#incident-state").value;
  const query = new URLSearchParams({ limit: "50" });
  if (state) query.set("state", state);
  if (more && incidentCursor) query.set("cursor", incidentCursor);
  const page = await api("GET", `/alert-incidents?${query}`);
  incidentRows = more ? incidentRows.concat(page.data) : page.data;
  incidentCursor = page.nextCursor;
  renderIncidents();
}

// ---- Rules ----

function ruleParams(rule) {
  const parts = kindParams(rule.kind)
    .filter((name) => rule[name] !== null && rule[name] !== undefined)
    .map((name) => `${PARAM_LABELS[name] ?? name} ${rule[name]}`);
  return parts.length ? parts.join("; ") : h("span", { class: "muted" }, "defaults");
}

async function ruleAction(button, rule, action) {
  if (action === "delete" && !confirm(`Delete the rule "${rule.displayName}"? Its open incidents resolve.`))
    return;
  const run = () =>
    action === "delete"
      ? api("DELETE", `/alert-rules/${rule.id}`)
      : api("POST", `/alert-rules/${rule.id}/${action}`);
  if (await act(button, run, `Rule ${action === "delete" ? "deleted" : `${action}d`}.`)) await loadRules();
}

async function loadRules() {
  const { data } = await api("GET", "/alert-rules");
  const channelName = (id) => channels.find((c) => c.id === id)?.name ?? id;
  replace(
    '[data-alert="rules"]',
    table({
      caption: `${data.length} rule${data.length === 1 ? "" : "s"}`,
      empty: "No rules yet.",
      columns: [
        {
          title: "Rule",
          cell: (r) => h("div", null, r.displayName, h("code", { class: "muted block" }, r.kind)),
        },
        { title: "Pool", cell: (r) => r.pool },
        { title: "Severity", cell: (r) => badge(r.severity, SEVERITY_TONE[r.severity]) },
        { title: "State", cell: (r) => badge(r.state, r.state === "active" ? "ok" : "muted") },
        { title: "Parameters", cell: ruleParams },
        {
          title: "Channels",
          cell: (r) => (r.channelIds.length ? r.channelIds.map(channelName).join(", ") : "—"),
        },
        { title: "Repeat after", num: true, cell: (r) => `${r.cooldownMinutes} min` },
        {
          title: "Actions",
          cell: (r) =>
            h(
              "div",
              { class: "actions" },
              r.state === "active"
                ? h(
                    "button",
                    {
                      type: "button",
                      class: "small secondary",
                      onclick: (e) => ruleAction(e.currentTarget, r, "disable"),
                    },
                    "Disable",
                  )
                : h(
                    "button",
                    {
                      type: "button",
                      class: "small",
                      onclick: (e) => ruleAction(e.currentTarget, r, "enable"),
                    },
                    "Enable",
                  ),
              h(
                "button",
                {
                  type: "button",
                  class: "small danger",
                  onclick: (e) => ruleAction(e.currentTarget, r, "delete"),
                },
                "Delete",
              ),
            ),
        },
      ],
      rows: data,
      rowProps: (r) => ({ "data-rule": r.id, "data-state": r.state }),
    }),
  );
}

function showKindParams(form) {
  const kind = form.elements.kind.value;
  const wanted = kindParams(kind);
  for (const el of form.querySelectorAll("[data-param]")) el.hidden = !wanted.includes(el.dataset.param);
  const { assignmentStates = [], authStates = [] } = config().alerts ?? {};
  const states = kind === "upstream_auth_state" ? authStates : assignmentStates;
  replace(
    form.elements.targetState,
    states.map((s) => h("option", { value: s }, s)),
  );
}

function channelChoices() {
  const fieldset = document.querySelector("[data-channel-choices]");
  const legend = fieldset.querySelector("legend");
  fieldset.replaceChildren(legend);
  if (!channels.length) {
    fieldset.append(h("p", { class: "muted" }, "No channels yet: add one below."));
    return;
  }
  for (const c of channels) {
    fieldset.append(
      h(
        "label",
        { class: "check" },
        h("input", { type: "checkbox", name: "channelIds", value: c.id }),
        c.name,
      ),
    );
  }
}

function wireRuleForm() {
  const form = document.querySelector('form[data-form="create-rule"]');
  form.elements.kind.addEventListener("change", () => showKindParams(form));
  showKindParams(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const kind = form.elements.kind.value;
    const body = { pool: form.elements.pool.value, kind };
    for (const name of ["displayName", "severity"]) {
      const value = form.elements[name].value.trim();
      if (value) body[name] = value;
    }
    if (form.elements.cooldownMinutes.value)
      body.cooldownMinutes = Number(form.elements.cooldownMinutes.value);
    for (const name of kindParams(kind)) {
      const value = form.elements[name].value.trim();
      if (value) body[name] = NUMBER_PARAMS.includes(name) ? Number(value) : value;
    }
    const chosen = [...form.querySelectorAll('input[name="channelIds"]:checked')].map((el) => el.value);
    if (chosen.length) body.channelIds = chosen;
    const created = await act(
      form.querySelector('button[type="submit"]'),
      () => api("POST", "/alert-rules", body),
      (r) => `Added the rule "${r.rule.displayName}".`,
    );
    if (created) {
      form.reset();
      showKindParams(form);
      await loadRules();
    }
  });
}

// ---- Channels ----

async function channelAction(button, channel, action) {
  if (action === "delete" && !confirm(`Delete the channel "${channel.name}"? Rules stop notifying it.`))
    return;
  if (action === "test") {
    const result = await act(button, () => api("POST", `/alert-channels/${channel.id}/test`));
    if (result) {
      const d = result.delivery;
      announce(
        result.delivered
          ? `Test delivered to ${channel.name}.`
          : `Test to ${channel.name} failed: ${d?.errorCode ?? d?.status ?? "no answer"}.`,
        { bad: !result.delivered },
      );
      await loadChannels();
    }
    return;
  }
  const run = () =>
    action === "delete"
      ? api("DELETE", `/alert-channels/${channel.id}`)
      : api("POST", `/alert-channels/${channel.id}/${action}`);
  if (await act(button, run, `Channel ${action === "delete" ? "deleted" : `${action}d`}.`)) {
    await loadChannels();
    await loadRules();
  }
}

async function loadChannels() {
  ({ data: channels } = await api("GET", "/alert-channels"));
  channelChoices();
  replace(
    '[data-alert="channels"]',
    table({
      caption: `${channels.length} channel${channels.length === 1 ? "" : "s"}`,
      empty: "No channels yet.",
      columns: [
        { title: "Channel", cell: (c) => h("div", null, c.name, h("code", { class: "muted block" }, c.id)) },
        { title: "Kind", cell: (c) => `${c.kind} (${c.format})` },
        // Only the host and the start of the path: the full URL may hold a token of its own.
        { title: "Destination", cell: (c) => h("code", null, `${c.url.host}${c.url.pathPrefix}`) },
        { title: "State", cell: (c) => badge(c.state, c.state === "active" ? "ok" : "muted") },
        {
          title: "Last delivery",
          cell: (c) =>
            c.lastDelivery
              ? h(
                  "div",
                  null,
                  badge(
                    c.lastDelivery.outcome ?? "unknown",
                    c.lastDelivery.outcome === "delivered" ? "ok" : "warn",
                  ),
                  " ",
                  timeEl(c.lastDelivery.at),
                )
              : h("span", { class: "muted" }, "never"),
        },
        {
          title: "Actions",
          cell: (c) =>
            h(
              "div",
              { class: "actions" },
              h(
                "button",
                {
                  type: "button",
                  class: "small secondary",
                  onclick: (e) => channelAction(e.currentTarget, c, "test"),
                },
                "Send test",
              ),
              c.state === "active"
                ? h(
                    "button",
                    {
                      type: "button",
                      class: "small secondary",
                      onclick: (e) => channelAction(e.currentTarget, c, "disable"),
                    },
                    "Disable",
                  )
                : h(
                    "button",
                    {
                      type: "button",
                      class: "small",
                      onclick: (e) => channelAction(e.currentTarget, c, "enable"),
                    },
                    "Enable",
                  ),
              h(
                "button",
                {
                  type: "button",
                  class: "small danger",
                  onclick: (e) => channelAction(e.currentTarget, c, "delete"),
                },
                "Delete",
              ),
            ),
        },
      ],
      rows: channels,
      rowProps: (c) => ({ "data-channel": c.id, "data-state": c.state }),
    }),
  );
}

function wireChannelForm() {
  const form = document.querySelector('form[data-form="create-channel"]');
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      name: form.elements.name.value.trim(),
      url: form.elements.url.value.trim(),
      format: form.elements.format.value,
    };
    const secret = form.elements.secret.value;
    if (secret) body.secret = secret;
    const created = await act(
      form.querySelector('button[type="submit"]'),
      () => api("POST", "/alert-channels", body),
      (r) => `Added the channel "${r.channel.name}".`,
    );
    if (!created) return;
    // The URL and secret leave the page as soon as the gateway has them.
    form.reset();
    if (created.secret && !secret) {
      revealSecret(document.querySelector("[data-reveal]"), {
        title: `Signing secret of ${created.channel.name}`,
        secret: created.secret,
        note: "Copy it now into the receiver's configuration: it verifies x-codex-pooler-signature and is not shown again.",
      });
    }
    await loadChannels();
  });
}

export async function init() {
  const present = await probe("/alert-rules").catch((error) => ({ error }));
  if (present.missing || present.error) {
    const what = present.error
      ? failed(present.error)
      : unavailable("Alerts", "This gateway has no alerting routes yet (GET /admin/v1/alert-rules).");
    for (const key of ["incidents", "rules", "channels"])
      replace(`[data-alert="${key}"]`, key === "incidents" ? what : "");
    for (const el of document.querySelectorAll(
      "[data-create], [data-evaluate], form[data-form='incident-filter']",
    ))
      el.hidden = true;
    return;
  }
  try {
    const { data: pools } = await api("GET", "/pools");
    fillPoolSelects(pools);
  } catch {
    // The lists below still load; creating a rule will report the error.
  }
  wireRuleForm();
  wireChannelForm();
  document
    .querySelector("#incident-state")
    .addEventListener("change", () =>
      loadIncidents().catch((e) => replace('[data-alert="incidents"]', failed(e))),
    );
  document
    .querySelector("[data-more]")
    .addEventListener("click", (e) => act(e.currentTarget, () => loadIncidents(true)));
  const evaluate = document.querySelector("[data-evaluate]");
  evaluate.addEventListener("click", async () => {
    const result = await act(
      evaluate,
      () => api("POST", "/alerts/evaluate"),
      (r) =>
        `Evaluated ${plural(r.rulesEvaluated, "rule")}: ${fmtInt(r.opened)} opened, ${fmtInt(r.repeated)} repeated, ${fmtInt(r.resolved)} resolved.`,
    );
    if (result) await loadIncidents();
  });
  // Channels are the owner's; a Pool admin's rules keep the channels they name.
  const me = await scope();
  await Promise.all([
    (me && me.role !== "owner" ? Promise.resolve() : loadChannels()).then(loadRules).catch((e) => {
      replace('[data-alert="channels"]', failed(e));
      replace('[data-alert="rules"]', failed(e));
    }),
    loadIncidents().catch((e) => replace('[data-alert="incidents"]', failed(e))),
  ]);
}

// Request logs: filters kept in the URL, newest first, "Load more" with the API's nextCursor, and a
// detail view of one row (metadata only: the gateway stores nothing else).
import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { failed } from "./feedback.js";
import { fmtInt, fmtMs, httpBadge, timeEl } from "./format.js";
import { fillPoolSelects } from "./forms.js";
import { table } from "./tables.js";

let rows = [];
let cursor = null;

function query() {
  const params = new URLSearchParams(location.search);
  const out = new URLSearchParams();
  for (const name of ["pool", "key", "limit"]) {
    const value = params.get(name);
    if (value) out.set(name, value);
  }
  if (!out.has("limit")) out.set("limit", "50");
  return out;
}

function showDetail(row) {
  const panel = document.querySelector("[data-detail-panel]");
  const fields = [
    ["Id", row.id],
    ["Time", timeEl(row.at)],
    ["Route", `${row.method} ${row.route}`],
    ["Transport", row.transport],
    ["Pool", row.pool ?? "—"],
    ["Key", row.keyId ? `sk-cxp-${row.keyId}` : "—"],
    ["Account", row.accountLabel ?? "—"],
    ["Model", row.model ?? "—"],
    ["Status", httpBadge(row.status)],
    ["Error code", row.errorCode ?? "—"],
    ["Accounts tried", String(row.attempts)],
    ["Duration", fmtMs(row.durationMs)],
    ["Time to first byte", fmtMs(row.ttfbMs)],
    ["Input tokens", fmtInt(row.usage?.inputTokens)],
    ["Cached input tokens", fmtInt(row.usage?.cachedTokens)],
    ["Output tokens", fmtInt(row.usage?.outputTokens)],
    ["Reasoning tokens", fmtInt(row.usage?.reasoningTokens)],
    ["Total tokens", fmtInt(row.usage?.totalTokens)],
  ];
  panel.hidden = false;
  replace(
    "[data-detail]",
    h(
      "dl",
      { class: "fields", "data-log": row.id },
      fields.map(([k, v]) => [h("dt", null, k), h("dd", null, v)]),
    ),
  );
  panel.querySelector("h2").focus();
}

function render() {
  replace(
    "[data-logs]",
    table({
      caption: `${rows.length} request${rows.length === 1 ? "" : "s"} shown`,
      empty: "No requests match.",
      columns: [
        { title: "Time", cell: (r) => timeEl(r.at) },
        { title: "Status", cell: (r) => httpBadge(r.status) },
        { title: "Pool", cell: (r) => r.pool ?? "—" },
        { title: "Key", cell: (r) => (r.keyId ? h("code", null, r.keyId) : "—") },
        { title: "Account", cell: (r) => r.accountLabel ?? "—" },
        { title: "Model", cell: (r) => r.model ?? "—" },
        { title: "Transport", cell: (r) => r.transport },
        { title: "Tries", num: true, cell: (r) => String(r.attempts) },
        { title: "Duration", num: true, cell: (r) => fmtMs(r.durationMs) },
        { title: "Tokens", num: true, cell: (r) => fmtInt(r.usage?.totalTokens) },
        { title: "Error", cell: (r) => (r.errorCode ? h("code", null, r.errorCode) : "—") },
        {
          title: "Detail",
          cell: (r) =>
            h(
              "button",
              {
                type: "button",
                class: "small secondary",
                "aria-label": `Details of the request at ${r.at}`,
                onclick: () => showDetail(r),
              },
              "Details",
            ),
        },
      ],
      rows,
      rowProps: (r) => ({ "data-log": r.id }),
    }),
  );
  document.querySelector("[data-more]").hidden = !cursor;
}

async function load(more = false) {
  const q = query();
  if (more && cursor) q.set("cursor", cursor);
  const button = document.querySelector("[data-more]");
  button.disabled = true;
  try {
    const page = await api("GET", `/request-logs?${q}`);
    rows = more ? rows.concat(page.data) : page.data;
    cursor = page.nextCursor;
    render();
  } catch (error) {
    replace("[data-logs]", failed(error));
  } finally {
    button.disabled = false;
  }
}

export async function init() {
  const form = document.querySelector('form[data-form="log-filter"]');
  try {
    const { data: pools } = await api("GET", "/pools");
    fillPoolSelects(pools);
  } catch {
    // The filter still works by typing; the table load below reports the error.
  }
  const q = query();
  form.elements.pool.value = q.get("pool") ?? "";
  form.elements.key.value = q.get("key") ?? "";
  form.elements.limit.value = q.get("limit") ?? "50";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of ["pool", "key", "limit"]) {
      const value = form.elements[name].value.trim();
      if (value) next.set(name, value);
    }
    history.replaceState(null, "", `${location.pathname}?${next}`);
    document.querySelector("[data-detail-panel]").hidden = true;
    await load();
  });
  document.querySelector("[data-more]").addEventListener("click", () => load(true));
  await load();
}

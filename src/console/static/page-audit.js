// Audit log: every admin API change, newest first, paged with nextCursor.
import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { failed } from "./feedback.js";
import { badge, timeEl } from "./format.js";
import { table } from "./tables.js";

let rows = [];
let cursor = null;

const details = (d) => {
  const entries = Object.entries(d ?? {});
  if (!entries.length) return "—";
  return h(
    "ul",
    { class: "plain" },
    entries.map(([k, v]) =>
      h("li", null, h("span", { class: "muted" }, `${k}: `), typeof v === "string" ? v : JSON.stringify(v)),
    ),
  );
};

function render() {
  replace(
    "[data-audit]",
    table({
      caption: `${rows.length} event${rows.length === 1 ? "" : "s"} shown`,
      empty: "No audit events yet.",
      columns: [
        { title: "Time", cell: (e) => timeEl(e.at) },
        { title: "Action", cell: (e) => h("code", null, e.action) },
        { title: "Actor", cell: (e) => e.actor },
        { title: "Target", cell: (e) => `${e.targetType}${e.targetId ? ` ${e.targetId}` : ""}` },
        { title: "Outcome", cell: (e) => badge(e.outcome) },
        { title: "Details", cell: (e) => details(e.details) },
      ],
      rows,
      rowProps: (e) => ({ "data-audit-action": e.action }),
    }),
  );
  document.querySelector("[data-more]").hidden = !cursor;
}

async function load(more = false) {
  const button = document.querySelector("[data-more]");
  button.disabled = true;
  try {
    const page = await api(
      "GET",
      `/audit-events?limit=50${more && cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    rows = more ? rows.concat(page.data) : page.data;
    cursor = page.nextCursor;
    render();
  } catch (error) {
    replace("[data-audit]", failed(error));
  } finally {
    button.disabled = false;
  }
}

export async function init() {
  document.querySelector("[data-more]").addEventListener("click", () => load(true));
  await load();
}

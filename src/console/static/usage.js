// Daily usage rollups (GET /admin/v1/usage?groupBy=day) as a chart and a table.
import { barChart } from "./charts.js";
import { h } from "./dom.js";
import { fmtInt } from "./format.js";
import { table } from "./tables.js";

const DAY_MS = 86_400_000;

/** The `since` query value for the last `days` UTC days, today included. */
export function sinceDays(days, now = Date.now()) {
  return new Date(now - (days - 1) * DAY_MS).toISOString().slice(0, 10);
}

/** Every UTC day of the report (days without traffic too), oldest first. */
function daysOf(body, rows) {
  const from = body?.since ?? rows[0]?.group;
  const to = body?.until ?? rows.at(-1)?.group;
  if (!from || !to) return [];
  const out = [];
  for (
    let t = Date.parse(`${from}T00:00:00Z`);
    t <= Date.parse(`${to}T00:00:00Z`) && out.length < 400;
    t += DAY_MS
  ) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

export function dailyUsage(body, title) {
  const rows = Array.isArray(body?.data) ? body.data : [];
  const byDay = new Map(rows.map((r) => [r.group, r]));
  const buckets = daysOf(body, rows).map((day) => {
    const r = byDay.get(day);
    const requests = r?.requests ?? 0;
    const errors = r?.errors ?? 0;
    return {
      day,
      label: day.slice(5),
      values: [Math.max(0, requests - errors), errors],
      tokens: r?.totalTokens ?? 0,
    };
  });
  if (!buckets.length || !rows.length)
    return h("p", { class: "muted" }, "No usage recorded in this range yet.");
  return [
    barChart({
      title,
      buckets,
      series: [
        { name: "Successful", cls: "bar-1" },
        { name: "Errors", cls: "bar-err" },
      ],
    }),
    table({
      caption: "Per UTC day",
      columns: [
        { title: "Day", cell: (b) => b.day },
        { title: "Requests", num: true, cell: (b) => fmtInt(b.values[0] + b.values[1]) },
        { title: "Errors", num: true, cell: (b) => fmtInt(b.values[1]) },
        { title: "Tokens", num: true, cell: (b) => fmtInt(b.tokens) },
      ],
      rows: buckets.filter((b) => b.values[0] + b.values[1] > 0),
      empty: "No requests in this range.",
    }),
  ];
}

/** Rows of another grouping (model, key, pool, account) as a table. */
export function usageTable(body, groupTitle) {
  const rows = Array.isArray(body?.data) ? body.data : [];
  return table({
    caption: `${body?.since ?? ""} to ${body?.until ?? ""} (UTC days)`,
    empty: "No usage recorded in this range yet.",
    columns: [
      { title: groupTitle, cell: (r) => (r.label ? `${r.label} (${r.group})` : r.group) },
      { title: "Requests", num: true, cell: (r) => fmtInt(r.requests) },
      { title: "Errors", num: true, cell: (r) => fmtInt(r.errors) },
      { title: "Input tokens", num: true, cell: (r) => fmtInt(r.inputTokens) },
      { title: "Cached", num: true, cell: (r) => fmtInt(r.cachedTokens) },
      { title: "Output tokens", num: true, cell: (r) => fmtInt(r.outputTokens) },
      { title: "Reasoning", num: true, cell: (r) => fmtInt(r.reasoningTokens) },
    ],
    rows: [...rows].sort((a, b) => b.requests - a.requests),
  });
}

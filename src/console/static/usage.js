// Daily usage rollups (GET /admin/v1/usage) as a chart and a table, when the gateway has them.
import { barChart, fmtInt, h, table } from "./lib.js";

/** Sums rollup rows per day; tolerant of the grouping (key, pool, account, model) the rows carry. */
export function dailyUsage(body, title) {
  const rows = Array.isArray(body?.data) ? body.data : [];
  const byDay = new Map();
  for (const row of rows) {
    const day = row.day ?? row.date ?? (typeof row.at === "string" ? row.at.slice(0, 10) : null);
    if (!day) continue;
    const bucket = byDay.get(day) ?? { day, label: day.slice(5), values: [0, 0], tokens: 0 };
    const requests = Number(row.requests ?? 0);
    const errors = Number(row.errors ?? 0);
    bucket.values[0] += Math.max(0, requests - errors);
    bucket.values[1] += errors;
    bucket.tokens += Number(row.totalTokens ?? Number(row.inputTokens ?? 0) + Number(row.outputTokens ?? 0));
    byDay.set(day, bucket);
  }
  const buckets = [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
  if (!buckets.length) return h("p", { class: "muted" }, "No usage recorded yet.");
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
      caption: "Per day",
      columns: [
        { title: "Day", cell: (b) => b.day },
        { title: "Requests", num: true, cell: (b) => fmtInt(b.values[0] + b.values[1]) },
        { title: "Errors", num: true, cell: (b) => fmtInt(b.values[1]) },
        { title: "Tokens", num: true, cell: (b) => fmtInt(b.tokens) },
      ],
      rows: buckets,
    }),
  ];
}

// Inline SVG charts, described for screen readers, with the numbers in a table too; and the hourly
// buckets the traffic charts draw from request-log rows.
import { h, s } from "./dom.js";
import { fmtInt, fmtPct } from "./format.js";
import { table } from "./tables.js";

let chartSeq = 0;

/** The chart's <svg>, labelled by its <title> (`label`) for screen readers. */
function chartSvg({ width, height, label, props }, ...children) {
  const id = `chart-${++chartSeq}`;
  return s(
    "svg",
    {
      class: "chart",
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: "img",
      "aria-labelledby": `${id}-t`,
      ...props,
    },
    s("title", { id: `${id}-t` }, label),
    children,
  );
}

/** A legend: [{ name, cls }] as colour swatches. */
export function legend(series) {
  return h(
    "ul",
    { class: "legend" },
    series.map((se) =>
      h("li", null, h("span", { class: `swatch ${se.cls}`, "aria-hidden": "true" }), se.name),
    ),
  );
}

/**
 * Stacked vertical bars: `buckets` [{ label, values: [..] }], `series` [{ name, cls }].
 * Returns a figure with the SVG, a legend and a collapsible data table.
 */
export function barChart({ title, buckets, series, height = 160, labelEvery = 1 }) {
  const width = Math.max(320, buckets.length * 26 + 40);
  const plotH = height - 28;
  const max = Math.max(1, ...buckets.map((b) => b.values.reduce((a, v) => a + v, 0)));
  const barW = (width - 40) / Math.max(1, buckets.length);
  // Label only as many buckets as fit (about 6.5 px a character at 11 px).
  const longest = Math.max(1, ...buckets.map((b) => String(b.label).length));
  const every = Math.max(labelEvery, Math.ceil((longest * 6.5 + 6) / barW));
  const bars = [];
  buckets.forEach((b, i) => {
    let y = plotH;
    b.values.forEach((v, si) => {
      if (!v) return;
      const hgt = (v / max) * (plotH - 8);
      y -= hgt;
      bars.push(
        s("rect", {
          x: 36 + i * barW + 2,
          y,
          width: Math.max(2, barW - 4),
          height: hgt,
          class: series[si].cls,
        }),
      );
    });
    if (i % every === 0) {
      bars.push(s("text", { x: 36 + i * barW + barW / 2, y: height - 10, "text-anchor": "middle" }, b.label));
    }
  });
  const svg = chartSvg(
    { width, height, label: `${title}; highest bar ${max}` },
    s("line", { x1: 34, y1: plotH, x2: width, y2: plotH, class: "axis" }),
    s("text", { x: 30, y: 12, "text-anchor": "end" }, fmtInt(max)),
    s("text", { x: 30, y: plotH, "text-anchor": "end" }, "0"),
    bars,
  );
  const data = h(
    "details",
    null,
    h("summary", null, "Show the numbers"),
    table({
      columns: [
        { title: "Bucket", cell: (b) => b.label },
        ...series.map((se, i) => ({ title: se.name, num: true, cell: (b) => fmtInt(b.values[i]) })),
      ],
      rows: buckets,
    }),
  );
  return h("figure", { class: "figure", "data-chart": title }, legend(series), svg, data);
}

/** Horizontal percentage bars: rows [{ label, bars: [{ name, value (0–100 or null), cls }] }]. */
export function percentBars({ title, rows }) {
  const rowH = 18;
  const labelW = 150;
  const width = 520;
  const barsPerRow = Math.max(1, ...rows.map((r) => r.bars.length));
  const groupH = barsPerRow * rowH + 12;
  const height = rows.length * groupH + 8;
  const items = [];
  rows.forEach((row, i) => {
    const top = 4 + i * groupH;
    items.push(
      s("text", { x: 0, y: top + 13 }, row.label.length > 22 ? `${row.label.slice(0, 21)}…` : row.label),
    );
    row.bars.forEach((bar, j) => {
      const y = top + j * rowH;
      const w = width - labelW - 60;
      items.push(s("rect", { x: labelW, y, width: w, height: rowH - 5, class: "track" }));
      if (bar.value !== null && bar.value !== undefined) {
        items.push(
          s("rect", {
            x: labelW,
            y,
            width: (Math.max(0, Math.min(100, bar.value)) / 100) * w,
            height: rowH - 5,
            class: bar.cls,
          }),
        );
      }
      items.push(
        s(
          "text",
          { x: width - 55, y: y + 11 },
          bar.value === null || bar.value === undefined ? "n/a" : fmtPct(bar.value),
        ),
      );
    });
  });
  const describe = rows
    .map(
      (r) =>
        `${r.label}: ${r.bars.map((b) => `${b.name} ${b.value === null || b.value === undefined ? "no evidence" : fmtPct(b.value)}`).join(", ")}`,
    )
    .join("; ");
  return chartSvg({ width, height, label: `${title}. ${describe}`, props: { "data-chart": title } }, items);
}

/** A small used-percent meter for table cells (decorative: the number sits next to it). */
export function meter(percent) {
  const v = Math.max(0, Math.min(100, percent ?? 0));
  return s(
    "svg",
    { class: "meter", viewBox: "0 0 100 8", preserveAspectRatio: "none", "aria-hidden": "true" },
    s("rect", { x: 0, y: 0, width: 100, height: 8, class: "track" }),
    s("rect", { x: 0, y: 0, width: v, height: 8, class: v >= 90 ? "bar-err" : "bar-1" }),
  );
}

/** A request-log row that failed: an HTTP error status or an error code. */
export const isError = (row) => row.status >= 400 || Boolean(row.errorCode);

/** Requests and errors per hour over the last `hours`, from request-log rows. */
export function hourlyBuckets(rows, hours = 24, now = Date.now()) {
  const hour = 3_600_000;
  const start = Math.floor(now / hour) * hour - (hours - 1) * hour;
  const buckets = Array.from({ length: hours }, (_, i) => {
    const at = new Date(start + i * hour);
    return { label: `${String(at.getHours()).padStart(2, "0")}h`, values: [0, 0], tokens: 0 };
  });
  for (const row of rows) {
    const i = Math.floor((Date.parse(row.at) - start) / hour);
    const bucket = buckets[i];
    if (!bucket) continue;
    bucket.values[isError(row) ? 1 : 0] += 1;
    bucket.tokens += row.usage?.totalTokens ?? 0;
  }
  return buckets;
}

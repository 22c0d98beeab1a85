// Shared client code for the console: the admin API client (the token lives in sessionStorage and
// travels as a bearer header), a DOM builder that only ever sets text (never parsed HTML), formatting,
// inline SVG charts and the live region for async results.

const TOKEN_KEY = "codex-pooler.admin-token";
export const BASE = "/admin";
const API = "/admin/v1";

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, body) {
    const error = body?.error ?? {};
    super(error.message ?? `the admin API answered ${status}`);
    this.status = status;
    this.code = error.code ?? null;
    this.param = error.param ?? null;
  }
}

/** The sign-in page, coming back to where the operator was. */
export function signInUrl(reason) {
  const query = new URLSearchParams({ next: location.pathname + location.search });
  if (reason) query.set("reason", reason);
  return `${BASE}/sign-in?${query}`;
}

/**
 * Calls the admin API. A 401 means the token is gone or revoked: forget it and go to sign-in
 * (unless `tokenOverride` is set, which the sign-in page uses to check a pasted token).
 */
export async function api(method, path, body, { tokenOverride } = {}) {
  const headers = {
    authorization: `Bearer ${tokenOverride ?? token.get() ?? ""}`,
    accept: "application/json",
  };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${API}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.status === 401 && tokenOverride === undefined) {
    token.clear();
    location.assign(signInUrl("expired"));
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** A route this gateway may not have yet: `{ data }`, or `{ missing: true }` on 404 "no such route". */
let whoami;
/** The signed-in token's scope ({ actor, role, pools }), asked once per page; undefined if unknown. */
export function scope() {
  whoami ??= api("GET", "/whoami").catch(() => undefined);
  return whoami;
}

/** How a token's scope reads: `owner` or `Pool admin: a, b`. */
export const scopeText = (t) =>
  t.role === "pool_admin" ? `Pool admin: ${(t.pools ?? []).join(", ")}` : "owner";

/** Pool names typed as `a, b` (commas or spaces). */
export const poolList = (text) =>
  text
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter(Boolean);

export async function probe(path) {
  try {
    return { data: await api("GET", path) };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && error.code === "not_found")
      return { missing: true };
    throw error;
  }
}

/** Every page of a paged list, newest first, until `stop(row)` or `maxRows`. */
export async function pages(path, { limit = 1000, maxRows = 5000, stop = () => false } = {}) {
  const rows = [];
  let cursor = null;
  for (;;) {
    const sep = path.includes("?") ? "&" : "?";
    const query = `${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page = await api("GET", `${path}${query}`);
    for (const row of page.data) {
      if (stop(row)) return rows;
      rows.push(row);
    }
    cursor = page.nextCursor;
    if (!cursor || rows.length >= maxRows) return rows;
  }
}

// ---- DOM ----

function append(el, children) {
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

function setProps(el, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

/** `h("td", { class: "num" }, "12")`: attributes and text only, never innerHTML. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setProps(el, props);
  append(el, children);
  return el;
}

export function replace(target, ...children) {
  const el = typeof target === "string" ? document.querySelector(target) : target;
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Only http(s) links from the API become hrefs. */
export function safeUrl(value) {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

export function config() {
  const el = document.querySelector("script[data-console-config]");
  return el ? JSON.parse(el.textContent) : { strategies: [], efforts: [] };
}

// ---- Feedback ----

let liveTimer;
/** Polite announcement of an async result (also shown as a toast). */
export function announce(message, { bad = false } = {}) {
  const live = document.querySelector("[data-live]");
  if (!live) return;
  clearTimeout(liveTimer);
  replace(live, h("p", { class: bad ? "bad" : undefined }, message));
  liveTimer = setTimeout(() => live.replaceChildren(), 10_000);
}

export function errorText(error) {
  if (error instanceof ApiError) return error.code ? `${error.message} (${error.code})` : error.message;
  return error instanceof Error ? error.message : String(error);
}

/** Runs an action from a button: disabled while it runs, the result or error announced. */
export async function act(button, run, success) {
  if (button) button.disabled = true;
  try {
    const result = await run();
    if (success) announce(typeof success === "function" ? success(result) : success);
    return result;
  } catch (error) {
    announce(errorText(error), { bad: true });
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

export function unavailable(what, detail) {
  return h(
    "div",
    { class: "unavailable", role: "note" },
    h("p", null, h("strong", null, `${what} not available. `), detail),
  );
}

export function failed(error) {
  return h("p", { class: "error", role: "alert" }, `Could not load: ${errorText(error)}`);
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h("textarea", { readonly: true, "aria-hidden": "true", class: "skip" });
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

/**
 * The one place a secret is shown: a read-only field with a Copy button, in memory only (never in
 * storage or the URL). "Done" removes it from the page; a reload never brings it back.
 */
export function revealSecret(container, { title, secret, note }) {
  const input = h("input", {
    id: "revealed-secret",
    readonly: true,
    "aria-describedby": "reveal-note",
    "data-secret": true,
  });
  input.value = secret;
  const copy = h(
    "button",
    {
      type: "button",
      "data-copy-secret": true,
      onclick: async () => {
        announce(
          (await copyText(input.value))
            ? "Copied to the clipboard."
            : "Copy failed: select the text and copy it.",
        );
      },
    },
    "Copy",
  );
  const done = h(
    "button",
    {
      type: "button",
      class: "secondary",
      onclick: () => {
        container.replaceChildren();
        announce("The secret was removed from the page.");
      },
    },
    "Done, hide it",
  );
  replace(
    container,
    h(
      "div",
      { class: "reveal", role: "region", "aria-label": title },
      h("h3", null, title),
      h("p", { id: "reveal-note" }, note),
      h("div", { class: "field" }, h("label", { for: "revealed-secret" }, "Secret"), input),
      h("div", { class: "actions" }, copy, done),
    ),
  );
  input.focus();
  input.select();
}

// ---- Formatting ----

export function fmtTime(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

export function timeEl(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  return h("time", { datetime: iso, title: iso }, fmtTime(iso));
}

export function span(ms) {
  const abs = Math.abs(ms);
  const sec = Math.round(abs / 1000);
  if (sec < 60) return `${sec}s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min}m ${String(sec % 60).padStart(2, "0")}s`;
  const hours = Math.floor(min / 60);
  if (hours < 48) return `${hours}h ${String(min % 60).padStart(2, "0")}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export function ago(iso) {
  if (!iso) return h("span", { class: "muted" }, "never");
  return h("time", { datetime: iso, title: fmtTime(iso) }, `${span(Date.now() - Date.parse(iso))} ago`);
}

const COUNTDOWN_WORDS = {
  reset: ["resets in", "reset passed"],
  expiry: ["expires in", "expired"],
  retry: ["in", "due now"],
  usable: ["usable again in", "usable again"],
};

function countdownText(iso, kind) {
  const [ahead, passed] = COUNTDOWN_WORDS[kind] ?? COUNTDOWN_WORDS.reset;
  const left = Date.parse(iso) - Date.now();
  return left > 0 ? `${ahead} ${span(left)}` : passed;
}

/** A live countdown to `iso` ("resets in 4h 12m"), updated every second by the page ticker. */
export function countdown(iso, kind = "reset") {
  if (!iso) return h("span", { class: "muted" }, "no reset time");
  return h(
    "time",
    { datetime: iso, title: fmtTime(iso), "data-countdown": iso, "data-countdown-kind": kind },
    countdownText(iso, kind),
  );
}

let ticker;
export function startTicker() {
  if (ticker) return;
  ticker = setInterval(() => {
    for (const el of document.querySelectorAll("[data-countdown]")) {
      el.textContent = countdownText(el.dataset.countdown, el.dataset.countdownKind);
    }
  }, 1000);
}

export const fmtInt = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString());
export const plural = (n, word) => `${fmtInt(n)} ${word}${n === 1 ? "" : "s"}`;
export const fmtPct = (n) => (n === null || n === undefined ? "—" : `${Math.round(n * 10) / 10}%`);
export const fmtMs = (n) =>
  n === null || n === undefined ? "—" : n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(2)} s`;

const STATUS_TONE = {
  active: "ok",
  refreshing: "ok",
  paused: "muted",
  refresh_failed: "warn",
  reauth_required: "bad",
  revoked: "bad",
  success: "ok",
  failure: "bad",
  open: "bad",
  resolved: "ok",
};

export function badge(text, tone) {
  return h(
    "span",
    { class: `badge ${tone ?? STATUS_TONE[text] ?? "muted"}` },
    String(text).replaceAll("_", " "),
  );
}

export function httpBadge(status) {
  return badge(String(status), status >= 500 || status === 499 ? "bad" : status >= 400 ? "warn" : "ok");
}

// ---- Tables ----

/**
 * columns: [{ title, cell(row) → node|string, num?: true }]; the first column is the row header.
 * `rowProps(row)` adds attributes to each <tr> (tests and links find rows by them).
 */
export function table({ caption, columns, rows, empty = "Nothing here yet.", rowProps }) {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  const head = h(
    "thead",
    null,
    h(
      "tr",
      null,
      columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : undefined }, c.title)),
    ),
  );
  const body = h(
    "tbody",
    null,
    rows.map((row) => {
      const tr = h("tr", rowProps ? rowProps(row) : null);
      columns.forEach((c, i) => {
        tr.append(
          h(
            i === 0 ? "th" : "td",
            { scope: i === 0 ? "row" : undefined, class: c.num ? "num" : undefined },
            c.cell(row),
          ),
        );
      });
      return tr;
    }),
  );
  return h(
    "div",
    { class: "table-wrap" },
    h("table", null, caption ? h("caption", null, caption) : null, head, body),
  );
}

/** Fills every `select[data-pool-select]` with the pool names (keeping an "All pools" choice). */
export function fillPoolSelects(pools, root = document) {
  for (const select of root.querySelectorAll("select[data-pool-select]")) {
    const current = select.value;
    const any = select.dataset.any;
    select.replaceChildren();
    if (any) select.append(h("option", { value: "" }, any));
    if (!pools.length && !any)
      select.append(h("option", { value: "", disabled: true }, "create a pool first"));
    for (const pool of pools) select.append(h("option", { value: pool.name }, pool.name));
    if (current && pools.some((p) => p.name === current)) select.value = current;
  }
}

// ---- Charts (inline SVG, described for screen readers, with the numbers in a table too) ----

let chartSeq = 0;

/**
 * Stacked vertical bars: `buckets` [{ label, values: [..] }], `series` [{ name, cls }].
 * Returns a figure with the SVG, a legend and a collapsible data table.
 */
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

export function barChart({ title, buckets, series, height = 160, labelEvery = 1 }) {
  const id = `chart-${++chartSeq}`;
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
  const svg = s(
    "svg",
    {
      class: "chart",
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: "img",
      "aria-labelledby": `${id}-t`,
    },
    s("title", { id: `${id}-t` }, `${title}; highest bar ${max}`),
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
  const id = `chart-${++chartSeq}`;
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
  return s(
    "svg",
    {
      class: "chart",
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: "img",
      "aria-labelledby": `${id}-t`,
      "data-chart": title,
    },
    s("title", { id: `${id}-t` }, `${title}. ${describe}`),
    items,
  );
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
    const error = row.status >= 400 || row.errorCode;
    bucket.values[error ? 1 : 0] += 1;
    bucket.tokens += row.usage?.totalTokens ?? 0;
  }
  return buckets;
}

export const isError = (row) => row.status >= 400 || Boolean(row.errorCode);

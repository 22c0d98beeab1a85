// How values read in the console: times, live countdowns, numbers, status badges, a token's scope.
import { h } from "./dom.js";

export function fmtTime(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

export function timeEl(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  return h("time", { datetime: iso, title: iso }, fmtTime(iso));
}

/** A duration in its two largest units (`4h 12m`). */
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

/** How a token's scope reads: `owner` or `Pool admin: a, b`. */
export const scopeText = (t) =>
  t.role === "pool_admin" ? `Pool admin: ${(t.pools ?? []).join(", ")}` : "owner";

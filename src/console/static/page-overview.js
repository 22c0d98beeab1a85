// Overview: counts, capacity and quota remaining per pool, requests and errors over the last day.
import { api, pages, probe } from "./api.js";
import { barChart, hourlyBuckets, isError, legend, percentBars } from "./charts.js";
import { h, replace } from "./dom.js";
import { failed, unavailable } from "./feedback.js";
import { fmtInt, fmtPct } from "./format.js";
import { table } from "./tables.js";
import { dailyUsage, sinceDays, usageTable } from "./usage.js";

const DAY_MS = 86_400_000;
const routable = (a) => a.status === "active" || a.status === "refreshing";
/** The API says whether routing skips the account for quota now (quota.exhausted). */
const exhausted = (a) => a.quota?.exhausted === true;

/** Mean remaining percent of one quota window over a pool's routable accounts with evidence. */
function remaining(members, field) {
  const values = members
    .filter((a) => routable(a) && a.quota && a.quota[field] !== null && a.quota[field] !== undefined)
    .map((a) => (exhausted(a) ? 0 : 100 - a.quota[field]));
  return values.length ? values.reduce((x, y) => x + y, 0) / values.length : null;
}

function windowName(minutes, fallback) {
  if (!minutes) return fallback;
  if (minutes % 10080 === 0) return minutes === 10080 ? "weekly" : `${minutes / 10080} weeks`;
  if (minutes % 1440 === 0) return `${minutes / 1440} d`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  return `${minutes} min`;
}

export function capacityOf(pool, accounts) {
  const members = accounts.filter((a) => a.pools.includes(pool.name));
  const available = members.filter((a) => routable(a) && !exhausted(a));
  const sample = members.find((a) => a.quota)?.quota;
  return {
    pool: pool.name,
    members: members.length,
    available: available.length,
    attention: members.filter((a) => a.status === "reauth_required" || a.status === "refresh_failed").length,
    primary: remaining(members, "primaryUsedPercent"),
    secondary: remaining(members, "secondaryUsedPercent"),
    primaryName: windowName(sample?.primaryWindowMinutes, "short window"),
    secondaryName: windowName(sample?.secondaryWindowMinutes, "long window"),
  };
}

function card(label, value, note) {
  return h(
    "div",
    { class: "card" },
    h("dt", null, label),
    h("dd", null, value, note ? h("span", { class: "hint block" }, note) : null),
  );
}

export async function init() {
  const now = Date.now();
  let pools;
  let accounts;
  let keys;
  try {
    [{ data: pools }, { data: accounts }, { data: keys }] = await Promise.all([
      api("GET", "/pools"),
      api("GET", "/accounts"),
      api("GET", "/keys"),
    ]);
  } catch (error) {
    replace("[data-summary]", failed(error));
    replace("[data-capacity]", "");
    replace("[data-traffic]", "");
    replace("[data-daily]", "");
    return;
  }
  const since = now - DAY_MS;
  const logsPromise = pages("/request-logs", { stop: (row) => Date.parse(row.at) < since }).catch((e) => e);

  const capacities = pools.map((p) => capacityOf(p, accounts));
  const attention = accounts.filter((a) => a.status === "reauth_required" || a.status === "refresh_failed");
  const logs = await logsPromise;
  const logRows = Array.isArray(logs) ? logs : [];
  const errors = logRows.filter(isError).length;
  replace(
    "[data-summary]",
    h(
      "dl",
      { class: "cards" },
      card("Pools", fmtInt(pools.length)),
      card("Accounts available", `${capacities.reduce((n, c) => n + c.available, 0)} / ${accounts.length}`),
      card(
        "Accounts needing action",
        fmtInt(attention.length),
        attention.length ? "re-auth or refresh failing" : null,
      ),
      card("Active keys", fmtInt(keys.filter((k) => k.status === "active").length)),
      card("Requests, 24 h", Array.isArray(logs) ? fmtInt(logRows.length) : "—"),
      card("Errors, 24 h", Array.isArray(logs) ? fmtInt(errors) : "—"),
    ),
  );

  replace(
    "[data-capacity]",
    pools.length
      ? [
          legend([
            { name: `Short window left (${capacities[0].primaryName})`, cls: "bar-1" },
            { name: `Long window left (${capacities[0].secondaryName})`, cls: "bar-2" },
          ]),
          percentBars({
            title: "Quota remaining per pool",
            rows: capacities.map((c) => ({
              label: c.pool,
              bars: [
                { name: c.primaryName, value: c.primary, cls: "bar-1" },
                { name: c.secondaryName, value: c.secondary, cls: "bar-2" },
              ],
            })),
          }),
          table({
            caption: "Capacity by pool",
            columns: [
              { title: "Pool", cell: (c) => c.pool },
              { title: "Available accounts", num: true, cell: (c) => `${c.available} / ${c.members}` },
              { title: "Needing action", num: true, cell: (c) => fmtInt(c.attention) },
              {
                title: "Short window left",
                num: true,
                cell: (c) => `${fmtPct(c.primary)} (${c.primaryName})`,
              },
              {
                title: "Long window left",
                num: true,
                cell: (c) => `${fmtPct(c.secondary)} (${c.secondaryName})`,
              },
            ],
            rows: capacities,
            rowProps: (c) => ({ "data-pool": c.pool }),
          }),
        ]
      : h("p", { class: "muted" }, "No pools yet: create one on the Pools page."),
  );

  replace(
    "[data-traffic]",
    Array.isArray(logs)
      ? barChart({
          title: "Requests per hour, last 24 hours",
          buckets: hourlyBuckets(logRows, 24, now),
          series: [
            { name: "Successful", cls: "bar-1" },
            { name: "Errors", cls: "bar-err" },
          ],
          labelEvery: 3,
        })
      : failed(logs),
  );

  try {
    const [daily, models] = await Promise.all([
      probe(`/usage?groupBy=day&since=${sinceDays(14, now)}`),
      probe("/usage?groupBy=model"),
    ]);
    replace(
      "[data-daily]",
      daily.missing
        ? unavailable(
            "Daily usage rollups",
            "This gateway has no usage rollups yet (GET /admin/v1/usage). The hourly chart above comes from the request logs.",
          )
        : [
            dailyUsage(daily.data, "Requests per UTC day, last 14 days, all pools"),
            h("h3", null, "By model, last 7 days"),
            models.missing ? null : usageTable(models.data, "Model"),
          ],
    );
  } catch (error) {
    replace("[data-daily]", failed(error));
  }
}

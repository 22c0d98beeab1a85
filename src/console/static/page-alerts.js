// Alerts: incidents, rules and channels from /admin/v1/alert-*, each shown as "not available" when
// this gateway has no such route yet.
import { badge, failed, h, probe, replace, table, timeEl, unavailable } from "./lib.js";

const SECTIONS = [
  { key: "incidents", path: "/alert-incidents", what: "Alert incidents" },
  { key: "rules", path: "/alert-rules", what: "Alert rules" },
  { key: "channels", path: "/alert-channels", what: "Alert channels" },
];
// Never render anything that looks like a credential, whatever the API sends.
const HIDDEN = /secret|token|password|signature/i;
const TIME = /At$|^at$/;
const STATUS = /^(status|state|outcome|severity)$/;

function cell(key, value) {
  if (value === null || value === undefined || value === "") return "—";
  if (TIME.test(key) && typeof value === "string") return timeEl(value);
  if (STATUS.test(key) && typeof value === "string") return badge(value);
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "object") return h("code", null, JSON.stringify(value));
  return String(value);
}

function render(rows, what) {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => !HIDDEN.test(k));
  return table({
    caption: `${rows.length} ${what.toLowerCase()}`,
    empty: `No ${what.toLowerCase()}.`,
    columns: keys.map((k) => ({ title: k, cell: (r) => cell(k, r[k]) })),
    rows,
  });
}

export async function init() {
  await Promise.all(
    SECTIONS.map(async (section) => {
      const target = `[data-alert="${section.key}"]`;
      try {
        const result = await probe(section.path);
        replace(
          target,
          result.missing
            ? unavailable(
                section.what,
                `This gateway has no ${section.path.slice(1)} route yet (GET /admin/v1${section.path}).`,
              )
            : render(Array.isArray(result.data?.data) ? result.data.data : [], section.what),
        );
      } catch (error) {
        replace(target, failed(error));
      }
    }),
  );
}

// The console's one table builder: a caption, a row header per row, numbers right-aligned.
import { h } from "./dom.js";

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

// Form helpers the pages share: the pool pickers and pool names typed into a field.
import { h } from "./dom.js";

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

/** Pool names typed as `a, b` (commas or spaces). */
export const poolList = (text) =>
  text
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter(Boolean);

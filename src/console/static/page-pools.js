// Pools: create, routing settings (strategy, ring size, image generation) and members.
import { api } from "./api.js";
import { config, h, replace } from "./dom.js";
import { act, failed } from "./feedback.js";
import { badge, countdown, fmtPct, timeEl } from "./format.js";
import { table } from "./tables.js";

let strategies = [];

function settingsForm(pool) {
  const id = `settings-${pool.name}`;
  const strategy = h(
    "select",
    { name: "strategy", id: `${id}-strategy` },
    strategies.map((s) => h("option", { value: s, selected: s === pool.strategy }, s)),
  );
  const ringSize = h("input", {
    name: "ringSize",
    id: `${id}-ring`,
    type: "number",
    min: 1,
    max: 16,
    required: true,
  });
  ringSize.value = String(pool.ringSize);
  const images = h("input", {
    name: "allowImageGeneration",
    type: "checkbox",
    checked: pool.allowImageGeneration,
  });
  const save = h("button", { type: "submit" }, "Save settings");
  const form = h(
    "form",
    { class: "row", "data-form": "pool-settings", "aria-label": `Routing settings of ${pool.name}` },
    h("div", { class: "field" }, h("label", { for: `${id}-strategy` }, "Strategy"), strategy),
    h("div", { class: "field" }, h("label", { for: `${id}-ring` }, "Ring size"), ringSize),
    h("label", { class: "check" }, images, "Allow image generation"),
    save,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      strategy: strategy.value,
      ringSize: Number(ringSize.value),
      allowImageGeneration: images.checked,
    };
    const updated = await act(
      save,
      () => api("PATCH", `/pools/${encodeURIComponent(pool.name)}`, body),
      `Saved the settings of ${pool.name}.`,
    );
    if (updated) await load();
  });
  return form;
}

function members(pool, accounts) {
  const list = accounts.filter((a) => a.pools.includes(pool.name));
  return table({
    caption: `Members of ${pool.name}`,
    empty: "No accounts yet: add one on the Accounts page.",
    columns: [
      { title: "Account", cell: (a) => a.label },
      { title: "Status", cell: (a) => badge(a.status) },
      { title: "Plan", cell: (a) => a.planType ?? "—" },
      { title: "Short window used", num: true, cell: (a) => fmtPct(a.quota?.primaryUsedPercent) },
      { title: "Resets", cell: (a) => (a.quota?.primaryResetAt ? countdown(a.quota.primaryResetAt) : "—") },
    ],
    rows: list,
    rowProps: (a) => ({ "data-account": a.id }),
  });
}

function poolCard(pool, accounts) {
  return h(
    "article",
    { class: "panel", "data-pool": pool.name, "aria-labelledby": `pool-h-${pool.name}` },
    h("h3", { id: `pool-h-${pool.name}` }, pool.name),
    h(
      "dl",
      { class: "fields" },
      h("dt", null, "Strategy"),
      h("dd", { "data-field": "strategy" }, pool.strategy),
      h("dt", null, "Ring size"),
      h("dd", { "data-field": "ringSize" }, String(pool.ringSize)),
      h("dt", null, "Image generation"),
      h("dd", null, pool.allowImageGeneration ? "allowed" : "off"),
      h("dt", null, "Accounts"),
      h("dd", null, String(pool.accountCount)),
      h("dt", null, "Keys (not revoked)"),
      h("dd", null, String(pool.keyCount)),
      h("dt", null, "Created"),
      h("dd", null, timeEl(pool.createdAt)),
      h("dt", null, "Updated"),
      h("dd", null, timeEl(pool.updatedAt)),
    ),
    settingsForm(pool),
    members(pool, accounts),
  );
}

async function load() {
  try {
    const [{ data: pools }, { data: accounts }] = await Promise.all([
      api("GET", "/pools"),
      api("GET", "/accounts"),
    ]);
    replace(
      "[data-pools]",
      pools.length ? pools.map((p) => poolCard(p, accounts)) : h("p", { class: "muted" }, "No pools yet."),
    );
  } catch (error) {
    replace("[data-pools]", failed(error));
  }
}

export async function init() {
  strategies = config().strategies;
  const form = document.querySelector('form[data-form="create-pool"]');
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      name: form.elements.name.value.trim(),
      strategy: form.elements.strategy.value,
      ringSize: Number(form.elements.ringSize.value),
    };
    const created = await act(
      form.querySelector('button[type="submit"]'),
      () => api("POST", "/pools", body),
      (r) => `Created pool ${r.pool.name}.`,
    );
    if (created) {
      form.reset();
      await load();
    }
  });
  await load();
}

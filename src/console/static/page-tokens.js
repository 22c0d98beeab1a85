// MCP and admin tokens (create with the secret shown once, rotate, revoke) and the MCP gate.
import { api, scope, token } from "./api.js";
import { h, replace } from "./dom.js";
import { act, failed, revealSecret } from "./feedback.js";
import { ago, badge, scopeText, timeEl } from "./format.js";
import { poolList } from "./forms.js";
import { table } from "./tables.js";

const FAMILIES = {
  mcp: {
    path: "/mcp-tokens",
    noun: "MCP token",
    use: "MCP clients send it as Authorization: Bearer to /mcp.",
  },
  admin: {
    path: "/admin-tokens",
    noun: "admin token",
    use: "Sign in to this console with it, or set it as POOLER_ADMIN_TOKEN for the pooler CLI.",
  },
};
const once = (family) =>
  `Copy it now: the gateway keeps only a hash, so this is the only time it is shown. ${family.use}`;

/** The id of the admin token this tab is signed in with (an environment token has none). */
const signedInId = () => /^adm-cxp-([0-9a-f]{12})-/.exec(token.get() ?? "")?.[1];

function reveal(family, result, title) {
  revealSecret(document.querySelector("[data-reveal]"), { title, secret: result.secret, note: once(family) });
}

function actions(kind, t) {
  const family = FAMILIES[kind];
  if (t.status === "revoked") return h("span", { class: "muted" }, "revoked ", timeEl(t.revokedAt));
  const button = (action, text, cls, run) =>
    h(
      "button",
      { type: "button", class: `small ${cls}`, "data-action": action, onclick: (e) => run(e.currentTarget) },
      text,
    );
  const mine = kind === "admin" && t.id === signedInId();
  return h(
    "div",
    { class: "actions", role: "group", "aria-label": `Actions for ${t.prefix}` },
    mine
      ? null
      : button("scope", "Scope", "secondary", async (b) => {
          const typed = prompt(
            `Pools for ${t.prefix}, comma-separated (empty: owner, every Pool). Now: ${scopeText(t)}`,
            (t.pools ?? []).join(", "),
          );
          if (typed === null) return;
          const pools = poolList(typed);
          const body = pools.length ? { role: "pool_admin", pools } : { role: "owner" };
          if (
            await act(
              b,
              () => api("PATCH", `${family.path}/${t.id}`, body),
              `${t.prefix} is now ${scopeText(body)}.`,
            )
          )
            await load(kind);
        }),
    button("rotate", "Rotate", "secondary", async (b) => {
      const warning = mine
        ? `Rotate ${t.prefix}? This tab is signed in with it: you will sign in again with the new secret.`
        : `Rotate ${t.prefix}? The current secret stops working at once.`;
      if (!confirm(warning)) return;
      const result = await act(b, () => api("POST", `${family.path}/${t.id}/rotate`));
      if (!result) return;
      if (mine) token.set(result.secret);
      reveal(family, result, `New secret for ${result.token.prefix}`);
      await load(kind);
    }),
    mine
      ? h("span", { class: "muted" }, "this tab's token")
      : button("revoke", "Revoke", "danger", async (b) => {
          if (!confirm(`Revoke ${t.prefix}? This is permanent: whoever uses it gets 401 at once.`)) return;
          if (await act(b, () => api("POST", `${family.path}/${t.id}/revoke`), `${t.prefix} is revoked.`))
            await load(kind);
        }),
  );
}

async function load(kind) {
  const family = FAMILIES[kind];
  try {
    const { data } = await api("GET", family.path);
    replace(
      `[data-tokens="${kind}"]`,
      table({
        caption: `${data.length} ${family.noun}${data.length === 1 ? "" : "s"}`,
        empty: `No ${family.noun}s yet.`,
        columns: [
          {
            title: "Token",
            cell: (t) => h("div", null, h("code", null, t.prefix), t.label ? h("div", null, t.label) : null),
          },
          { title: "Status", cell: (t) => badge(t.status) },
          { title: "Scope", cell: (t) => h("span", { "data-scope": true }, scopeText(t)) },
          { title: "Created", cell: (t) => timeEl(t.createdAt) },
          { title: "Last used", cell: (t) => ago(t.lastUsedAt) },
          { title: "Actions", cell: (t) => actions(kind, t) },
        ],
        rows: data,
        rowProps: (t) => ({ "data-token": t.id, "data-status": t.status }),
      }),
    );
  } catch (error) {
    replace(`[data-tokens="${kind}"]`, failed(error));
  }
}

async function loadGate() {
  try {
    const { settings } = await api("GET", "/settings");
    const on = settings.mcpEnabled;
    const toggle = h(
      "button",
      {
        type: "button",
        class: on ? "secondary" : "",
        "data-action": "toggle-mcp",
        onclick: async (e) => {
          if (on && !confirm("Turn MCP off? Every MCP token is refused until it is turned on again.")) return;
          const done = await act(
            e.currentTarget,
            () => api("PATCH", "/settings", { mcpEnabled: !on }),
            (r) => `MCP is now ${r.settings.mcpEnabled ? "on" : "off"}.`,
          );
          if (done) await loadGate();
        },
      },
      on ? "Turn MCP off" : "Turn MCP on",
    );
    replace(
      "[data-mcp-gate]",
      h(
        "div",
        { class: "row" },
        h(
          "p",
          { "data-mcp-state": on ? "on" : "off" },
          badge(on ? "on" : "off", on ? "ok" : "bad"),
          " ",
          on ? "MCP tokens are accepted." : "Every MCP token is refused (403).",
        ),
        toggle,
        settings.updatedAt ? h("p", { class: "muted" }, "Changed ", timeEl(settings.updatedAt)) : null,
      ),
    );
    const fw = settings.firewall;
    replace(
      "[data-firewall]",
      h(
        "p",
        { "data-firewall-state": fw.enabled ? "on" : "off" },
        badge(fw.enabled ? "on" : "off", fw.enabled ? "ok" : "muted"),
        " ",
        fw.enabled
          ? `Allows ${fw.allow.join(", ")}. Trusted proxies: ${fw.trustedProxies.join(", ") || "none"}; behind them the client address comes from ${fw.clientIpSource}${fw.clientIpSource === "x_forwarded_for" ? ` (depth ${fw.proxyDepth})` : ""}.`
          : "Every client address may call the runtime routes.",
      ),
    );
  } catch (error) {
    replace("[data-mcp-gate]", failed(error));
    replace("[data-firewall]", failed(error));
  }
}

function wireCreate(kind) {
  const family = FAMILIES[kind];
  const form = document.querySelector(`form[data-form="create-${kind}-token"]`);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const label = form.elements.label.value.trim();
    const pools = poolList(form.elements.pools.value);
    const body = label ? { label } : {};
    if (form.elements.role.value === "pool_admin" || pools.length)
      Object.assign(body, { role: "pool_admin", pools });
    const result = await act(form.querySelector("button[type=submit]"), () => api("POST", family.path, body));
    if (!result) return;
    form.reset();
    reveal(family, result, `New ${family.noun} ${result.token.prefix}`);
    await load(kind);
  });
}

export async function init() {
  wireCreate("mcp");
  const me = await scope();
  if (me && me.role !== "owner") {
    // A Pool admin manages only MCP tokens within its Pools; settings and operators are the owner's.
    await load("mcp");
    return;
  }
  wireCreate("admin");
  await Promise.all([loadGate(), load("mcp"), load("admin")]);
}

// Invites: create (the one-time URL shown once), list with Pool and status filters, revoke.
import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { act, failed, revealSecret } from "./feedback.js";
import { badge, timeEl } from "./format.js";
import { fillPoolSelects } from "./forms.js";
import { table } from "./tables.js";

const TONE = { active: "ok", accepted: "muted", revoked: "bad", expired: "muted" };

async function load() {
  const form = document.querySelector('form[data-form="invite-filter"]');
  const query = new URLSearchParams();
  if (form.elements.pool.value) query.set("pool", form.elements.pool.value);
  if (form.elements.status.value) query.set("status", form.elements.status.value);
  try {
    const { data } = await api("GET", `/invites${query.size ? `?${query}` : ""}`);
    replace(
      "[data-invites]",
      table({
        caption: `${data.length} invite${data.length === 1 ? "" : "s"}`,
        empty: "No invites match.",
        columns: [
          { title: "Created", cell: (i) => timeEl(i.createdAt) },
          { title: "Status", cell: (i) => badge(i.status, TONE[i.status]) },
          { title: "Pool", cell: (i) => i.pool },
          { title: "Email", cell: (i) => i.email ?? "—" },
          { title: "Invited by", cell: (i) => h("code", null, i.createdBy) },
          { title: "Result", cell: (i) => (i.accountId ? h("code", null, i.accountId) : "—") },
          { title: "Expires", cell: (i) => timeEl(i.expiresAt) },
          {
            title: "Actions",
            cell: (i) =>
              i.status === "active"
                ? h(
                    "button",
                    {
                      type: "button",
                      class: "small danger",
                      "data-action": "revoke",
                      onclick: async (e) => {
                        if (!confirm(`Revoke the invite for ${i.email}? Its link stops working at once.`))
                          return;
                        if (
                          await act(
                            e.currentTarget,
                            () => api("POST", `/invites/${i.id}/revoke`),
                            "Invite revoked.",
                          )
                        )
                          await load();
                      },
                    },
                    "Revoke",
                  )
                : null,
          },
        ],
        rows: data,
        rowProps: (i) => ({ "data-invite": i.id, "data-status": i.status }),
      }),
    );
  } catch (error) {
    replace("[data-invites]", failed(error));
  }
}

export async function init() {
  const { data: pools } = await api("GET", "/pools");
  fillPoolSelects(pools);
  const create = document.querySelector('form[data-form="create-invite"]');
  create.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { pool: create.elements.pool.value, email: create.elements.email.value.trim() };
    const label = create.elements.label.value.trim();
    if (label) body.label = label;
    const result = await act(create.querySelector("button[type=submit]"), () =>
      api("POST", "/invites", body),
    );
    if (!result) return;
    create.reset();
    // This page's own origin is the address the teammate can reach (the API may sit behind another).
    revealSecret(document.querySelector("[data-reveal]"), {
      title: `Invite for ${result.invite.email} to ${result.invite.pool}`,
      secret: `${location.origin}${result.path}`,
      note: "Send this link to the teammate now: it works once, for 24 hours, and is not shown again.",
    });
    await load();
  });
  document.querySelector('form[data-form="invite-filter"]').addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  await load();
}

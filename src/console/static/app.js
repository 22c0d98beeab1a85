// Console entry: the sign-in gate, sign-out, then the page's own module (named by <body data-page>).
import { BASE, scope, signInUrl, token } from "./api.js";
import { announce, errorText } from "./feedback.js";
import { startTicker } from "./format.js";

const page = document.body.dataset.page ?? "";

async function boot() {
  if (page === "sign-in") {
    (await import("./page-sign-in.js")).init();
    return;
  }
  if (!token.get()) {
    location.replace(signInUrl());
    return;
  }
  const who = document.querySelector("[data-who]");
  // Only the public part of a stored admin token (adm-cxp-<id>); never the secret or an env token.
  const id = /^adm-cxp-([0-9a-f]{12})-/.exec(token.get() ?? "")?.[1];
  if (who) who.textContent = id ? `Signed in with adm-cxp-${id}` : "Signed in";
  // A Pool admin sees only its Pools: say so, and hide what only an owner can use.
  const me = await scope();
  if (me && me.role !== "owner") {
    document.body.dataset.role = me.role;
    for (const el of document.querySelectorAll("[data-owner-only]")) el.hidden = true;
    if (who) who.textContent += ` · Pool admin: ${me.pools.join(", ")}`;
  }
  document.querySelector("[data-sign-out]")?.addEventListener("click", () => {
    token.clear();
    location.assign(`${BASE}/sign-in?reason=signed-out`);
  });
  startTicker();
  if (!/^[a-z-]+$/.test(page)) return;
  try {
    await (await import(`./page-${page}.js`)).init();
  } catch (error) {
    announce(errorText(error), { bad: true });
  }
  document.body.dataset.ready = "true";
}

boot();

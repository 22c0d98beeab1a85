// What the operator is told: the live region for async results, error text, "not available" and
// "could not load" notes, the clipboard, and the one place a secret is shown.
import { ApiError } from "./api.js";
import { h, replace } from "./dom.js";

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

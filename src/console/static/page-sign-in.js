// Sign-in: checks the pasted admin token against the admin API before keeping it in this tab.
import { ApiError, api, BASE, token } from "./api.js";
import { errorText } from "./feedback.js";

const REASONS = {
  expired: "The admin API refused the token (it may have been revoked): sign in again.",
  "signed-out": "Signed out. The token was removed from this tab.",
};

/** Only a path inside the console; anything else (another origin, `//host`) goes to the overview. */
function nextPath(raw) {
  const inside = raw === BASE || raw?.startsWith(`${BASE}/`);
  return inside && !raw.startsWith(`${BASE}/sign-in`) ? raw : BASE;
}

export function init() {
  const form = document.querySelector('form[data-form="sign-in"]');
  const error = document.querySelector("[data-sign-in-error]");
  const params = new URLSearchParams(location.search);
  const reason = REASONS[params.get("reason") ?? ""];
  const show = (message) => {
    error.textContent = message;
    error.hidden = !message;
  };
  if (reason) show(reason);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = form.elements.token.value.trim();
    if (!value) return;
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      await api("GET", "/pools", undefined, { tokenOverride: value });
      token.set(value);
      form.reset();
      location.assign(nextPath(params.get("next")));
    } catch (e) {
      show(
        e instanceof ApiError && e.status === 401
          ? "That token was not accepted. Use an adm-cxp-… admin token or the POOLER_ADMIN_TOKEN value."
          : `Could not reach the admin API: ${errorText(e)}`,
      );
      form.elements.token.focus();
    } finally {
      button.disabled = false;
    }
  });
}

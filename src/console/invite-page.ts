// The invite landing page (/onboarding/invites/<token>): server-rendered, no script. It starts the
// device-code sign-in with a form post, shows the verification URL and user code, refreshes itself
// while the invitee signs in (each load asks the auth server at most as often as it allows), and says
// when the account has joined the Pool. The console's stylesheet gives it the same look.
import { html, raw } from "hono/html";
import type { Html } from "./layout.ts";

export type InvitePageState =
  | { state: "ready"; pool: string; email: string | null; expiresAt: string; startAction: string }
  | {
      state: "pending";
      pool: string;
      verificationUrl: string;
      userCode: string;
      refreshSeconds: number;
      loginEndsAt: string;
    }
  | { state: "accepted"; pool: string }
  | { state: "error"; message: string };

function shell(title: string, body: Html, refreshSeconds?: number): Html {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    ${refreshSeconds ? raw(`<meta http-equiv="refresh" content="${Math.max(1, Math.floor(refreshSeconds))}" />`) : ""}
    <title>${title} · Codex Pooler</title>
    <link rel="stylesheet" href="/admin/assets/console.css" />
  </head>
  <body class="sign-in" data-page="invite">
    <main id="main" tabindex="-1">
      <h1>${title}</h1>
      ${body}
    </main>
  </body>
</html>`;
}

export function invitePage(s: InvitePageState): Html {
  switch (s.state) {
    case "ready":
      return shell(
        "Lend a ChatGPT account",
        html`<div class="stack narrow" data-invite-state="ready">
          <p>
            You are invited to add a ChatGPT account to the Pool <strong>${s.pool}</strong> of this Codex Pooler
            gateway${s.email ? html` (invite for ${s.email})` : ""}. The invite works once and until ${s.expiresAt}.
          </p>
          <p class="hint">
            You sign in at OpenAI with a one-time code; your password never reaches this gateway. Afterwards the
            gateway holds this login's tokens and refreshes them: do not also use it from a copied auth.json.
          </p>
          <form method="post" action="${s.startAction}">
            <button type="submit">Start sign-in</button>
          </form>
        </div>`,
      );
    case "pending":
      return shell(
        "Enter the code at OpenAI",
        html`<div class="stack narrow" data-invite-state="pending">
          <p>
            1. Open <a href="${s.verificationUrl}" target="_blank" rel="noopener noreferrer"
              data-verification-url>${s.verificationUrl}</a> and sign in with the ChatGPT account you want to lend.
          </p>
          <p>2. Enter this code: <code class="user-code" data-user-code>${s.userCode}</code></p>
          <p class="hint" role="status">
            Waiting for you to finish; this page checks again every ${s.refreshSeconds} s. The code works until
            ${s.loginEndsAt}.
          </p>
        </div>`,
        s.refreshSeconds,
      );
    case "accepted":
      return shell(
        "Account added",
        html`<p data-invite-state="accepted">
          Thank you: the account now serves the Pool <strong>${s.pool}</strong>. You can close this page.
        </p>`,
      );
    case "error":
      return shell(
        "Invite unavailable",
        html`<p class="error" role="alert" data-invite-state="error">${s.message}</p>`,
      );
  }
}

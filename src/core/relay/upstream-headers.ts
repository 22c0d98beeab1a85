// Headers sent upstream: the account's credentials plus the Codex client identity and the
// allow-listed continuity headers. Inbound auth, hop-by-hop and forwarding headers never pass.
import type { Account } from "../model.ts";

/** Client headers relayed as-is (codex-protocol §2.2; the original's allow-list plus session/thread ids). */
export const FORWARDED_CLIENT_HEADERS = [
  "originator",
  "user-agent",
  "version",
  "session-id",
  "thread-id",
  "x-client-request-id",
  "x-codex-turn-metadata",
  "x-codex-turn-state",
  "x-codex-window-id",
  "x-codex-parent-thread-id",
  "x-codex-installation-id",
  "x-codex-beta-features",
  "x-openai-subagent",
];

export function upstreamHeaders(
  client: Headers,
  account: Pick<Account, "chatgptAccountId">,
  accessToken: string,
  options: { accept?: string; clientVersion: string; contentType?: string },
): Headers {
  const headers = new Headers();
  for (const name of FORWARDED_CLIENT_HEADERS) {
    const value = client.get(name);
    if (value) headers.set(name, value);
  }
  if (!headers.has("originator")) headers.set("originator", "codex_cli_rs");
  if (!headers.has("user-agent")) headers.set("user-agent", `codex_cli_rs/${options.clientVersion}`);
  headers.set("authorization", `Bearer ${accessToken}`);
  // Synthetic ids (email_/local_) are not real workspaces; the upstream rejects them.
  const id = account.chatgptAccountId;
  if (id && !id.startsWith("email_") && !id.startsWith("local_")) headers.set("chatgpt-account-id", id);
  if (options.accept) headers.set("accept", options.accept);
  if (options.contentType) headers.set("content-type", options.contentType);
  return headers;
}

/** Upstream response headers worth relaying to Codex (§2.4): quota, turn state, catalog etag. */
export function relayedResponseHeaders(upstream: Headers): Headers {
  const out = new Headers();
  upstream.forEach((value, name) => {
    if (
      name.startsWith("x-codex-") ||
      name === "x-models-etag" ||
      name === "openai-model" ||
      name === "x-reasoning-included" ||
      name === "retry-after"
    ) {
      out.set(name, value);
    }
  });
  return out;
}

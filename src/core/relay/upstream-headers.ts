// Headers sent upstream: the account's credentials plus the Codex client identity and the
// allow-listed continuity headers. Inbound auth, hop-by-hop and forwarding headers never pass.
import type { ClientHeaders } from "../access/firewall.ts";
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
  return new Headers(upstreamHeaderRecord(client, account, accessToken, options));
}

/** The same as a plain record (lower-case names): the relay's hot path skips building a `Headers`. */
export function upstreamHeaderRecord(
  client: ClientHeaders,
  account: Pick<Account, "chatgptAccountId">,
  accessToken: string,
  options: { accept?: string; clientVersion: string; contentType?: string },
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_CLIENT_HEADERS) {
    const value = client.get(name);
    if (value) headers[name] = value;
  }
  headers.originator ??= "codex_cli_rs";
  headers["user-agent"] ??= `codex_cli_rs/${options.clientVersion}`;
  headers.authorization = bearer(accessToken);
  // Synthetic ids (email_/local_) are not real workspaces; the upstream rejects them.
  const id = account.chatgptAccountId;
  if (id && !id.startsWith("email_") && !id.startsWith("local_")) headers["chatgpt-account-id"] = id;
  if (options.accept) headers.accept = options.accept;
  if (options.contentType) headers["content-type"] = options.contentType;
  return headers;
}

// One "Bearer …" string per access token, not one per request: an open stream's outgoing request
// keeps its headers, and a ChatGPT access token is about 1 KB.
const bearers = new Map<string, string>();
function bearer(accessToken: string): string {
  let value = bearers.get(accessToken);
  if (value === undefined) {
    // Tokens rotate; a small bound keeps retired ones from piling up.
    if (bearers.size >= 256) bearers.clear();
    value = `Bearer ${accessToken}`;
    bearers.set(accessToken, value);
  }
  return value;
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

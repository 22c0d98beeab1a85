// MCP answer shapes: the admin contract's records (src/admin-views/), minus what an agent's context
// window must never hold. Unlike the admin API there is no email at all (not even masked), no ChatGPT
// account or user id and no secret hash; redact.ts checks again on the way out.
import type { z } from "zod";
import type { McpAccount, McpInvite } from "../admin-contract/responses.ts";
import { accountView, inviteView } from "../admin-views/records.ts";
import type { Account, Invite } from "../core/model.ts";

export function mcpAccountView(account: Account, now: number): z.output<typeof McpAccount> {
  const { email: _, ...view } = accountView(account, now);
  return view;
}

export function mcpInviteView(invite: Invite, now: number): z.output<typeof McpInvite> {
  const { email: _, ...view } = inviteView(invite, now);
  return view;
}

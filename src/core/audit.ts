import type { CoreContext } from "./context.ts";
import { sortableId } from "./ids.ts";
import type { AuditEvent } from "./model.ts";

export type AuditInput = Omit<AuditEvent, "id" | "at" | "outcome"> & { outcome?: AuditEvent["outcome"] };

/** Every admin mutation leaves one metadata-only event (never a secret, never a body). */
export async function recordAudit(ctx: CoreContext, input: AuditInput): Promise<void> {
  const at = ctx.clock.now();
  await ctx.store.audit.append({ outcome: "success", ...input, id: sortableId("aud", at), at });
}

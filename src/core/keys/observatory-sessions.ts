// Ending a key's dashboard sessions: a leaf the key and Pool changes that end them both call.
import type { CoreContext } from "../context.ts";

/**
 * Removes a key's stored sessions (they are already void: the caller has stamped `sessionsEndedAt`,
 * disabled the Pool or deleted the key); a failure is logged, TTL removes them anyway.
 */
export async function dropObservatorySessions(ctx: CoreContext, keyId: string): Promise<void> {
  try {
    const sessions = await ctx.store.observatorySessions.list(keyId);
    await Promise.all(sessions.map((s) => ctx.store.observatorySessions.delete(keyId, s.id)));
  } catch (error) {
    ctx.logger.warn("dashboard session clean-up failed", { keyId, error: (error as Error).name });
  }
}

// A request's body, client-gone signal and cut-short check: from the host's own view of the request
// where it hands one over (HostBindings.requestIo, the Node host's), otherwise from the web Request.
import type { Context } from "hono";
import type { BodySource } from "./body.ts";
import type { HostBindings } from "./types.ts";

const io = (c: Context) => (c.env as HostBindings | undefined)?.requestIo;

/** What `readBody` reads. */
export const bodySource = (c: Context): BodySource => io(c)?.body() ?? c.req.raw;

/** Aborts when the client disconnects before the response has been fully written. */
export const clientSignal = (c: Context): AbortSignal => io(c)?.signal() ?? c.req.raw.signal;

/**
 * The client closed the connection before its request had fully arrived (it left mid-upload, or the
 * host cut a body that took too long): a read of the body then fails, and that is the client's doing.
 */
export const requestCutShort = (c: Context): boolean => io(c)?.cutShort() ?? c.req.raw.signal.aborted;

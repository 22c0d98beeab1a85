// The body and the "client went away" signal of a relay request. On the local host @hono/node-server
// builds a whole web Request (a web stream over the socket, an AbortController, undici's Request) the
// first time a handler touches `body` or `signal`, and keeps it for as long as the stream is open. The
// relay routes need only the bytes and the signal, so on that host they are taken from the Node
// request and response (`c.env.incoming` / `c.env.outgoing`); other hosts use the web Request.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "hono";
import type { BodySource } from "./body.ts";

interface NodeBindings {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
}

function nodeBindings(c: Context): NodeBindings | undefined {
  const env = c.env as Partial<NodeBindings> | undefined;
  return env?.incoming && env.outgoing ? (env as NodeBindings) : undefined;
}

/** What `readBody` reads: the Node request itself where there is one. */
export function bodySource(c: Context): BodySource {
  const node = nodeBindings(c);
  // Headers come from the lightweight request wrapper without building a web Request.
  return node ? { headers: c.req.raw.headers, body: node.incoming } : c.req.raw;
}

/** Aborts when the client disconnects before the response has been fully written. */
export function clientSignal(c: Context): AbortSignal {
  const node = nodeBindings(c);
  if (!node) return c.req.raw.signal;
  const controller = new AbortController();
  // The same rule @hono/node-server applies to its own Request's signal.
  node.outgoing.once("close", () => {
    if (node.incoming.errored) controller.abort(node.incoming.errored.toString());
    else if (!node.outgoing.writableFinished) controller.abort("Client connection prematurely closed.");
  });
  return controller.signal;
}

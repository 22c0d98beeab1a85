// The local host writes a relay's body straight into the Node response: the relay's chunks go to the
// socket as they are pulled, with Node's own backpressure ('drain'), instead of through a web stream
// that @hono/node-server reads back chunk by chunk (and whose headers it flushes in a write of their
// own). Responses without a relay source, and relay responses whose body someone already read as a
// web stream, take @hono/node-server's usual path.
import { ServerResponse } from "node:http";
import type { Http2Bindings, HttpBindings } from "@hono/node-server";
import { headerFields } from "../adapters/http/header-fields.ts";
import { type ChunkSource, takeChunkSource } from "../core/relay/chunk-source.ts";

type FetchHandler = (request: Request, env: HttpBindings | Http2Bindings) => Response | Promise<Response>;

/**
 * @hono/node-server leaves a response carrying this header alone: it has been written already. One
 * shared instance: it only reads its headers, and building a Response per relay cost ~10 µs before
 * the first chunk went out.
 */
const ALREADY_SENT = new Response(null, { headers: { "x-hono-already-sent": "true" } });

export function withDirectRelayBodies(fetch: FetchHandler): FetchHandler {
  return async (request, env) => {
    const response = await fetch(request, env);
    // The local host serves HTTP/1.1 only.
    const outgoing = env.outgoing instanceof ServerResponse ? env.outgoing : undefined;
    const source = outgoing ? takeChunkSource(response) : undefined;
    if (!outgoing || !source) return response;
    void writeSource(source, response.status, headerRecord(response.headers), outgoing);
    return ALREADY_SENT;
  };
}

/** Takes the status and headers rather than the Response, which need not stay alive with the stream. */
async function writeSource(
  source: ChunkSource,
  status: number,
  headers: Record<string, string | string[]>,
  out: ServerResponse,
): Promise<void> {
  // A client that leaves cancels the relay, which aborts the upstream call and logs the turn as the
  // client's doing; so does one that left before this started (its 'close' has already fired).
  let cancelled = false;
  const cancel = () => {
    if (cancelled) return;
    cancelled = true;
    void source.cancel();
  };
  const gone = () => out.destroyed || out.socket?.destroyed === true;
  out.once("close", () => {
    if (!out.writableFinished) cancel();
  });
  if (gone()) {
    cancel();
    return;
  }
  out.writeHead(status, headers);
  try {
    for (;;) {
      const chunk = await source.pull();
      if (chunk === undefined) break;
      if (gone()) {
        cancel();
        return;
      }
      if (!out.write(chunk)) await drained(out);
    }
    if (!out.destroyed) out.end();
  } catch (error) {
    // A relay source ends with a terminal event rather than failing; anything else is a bug.
    cancel();
    out.destroy(error as Error);
  }
}

function drained(out: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off("drain", done);
      out.off("close", done);
      resolve();
    };
    out.on("drain", done);
    out.on("close", done);
  });
}

/** The Response's headers as `writeHead` takes them, cookies as one multi-valued field. */
function headerRecord(headers: Headers): Record<string, string | string[]> {
  const { fields, cookies } = headerFields(headers);
  return cookies.length > 0 ? { ...fields, "set-cookie": cookies } : fields;
}

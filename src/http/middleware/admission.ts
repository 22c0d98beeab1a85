// Admission control on the HTTP surface (src/core/access/admission.ts). Routes whose class shows in the path
// take their slot here, before authentication, and give it back when the handler has answered (their
// answers are in memory by then). Turns (Responses, chat) are classed by their body's `stream` flag,
// so their handlers take the slot (`withTurnSlot`) and a stream keeps it until it has been sent whole
// or the client has left.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { type Lease, OverloadedError, type RouteClass } from "../../core/access/admission.ts";
import type { Gateway } from "../../core/gateway.ts";
import { takePoolSlot } from "../../core/pools/pool-slots.ts";
import { onBodyDone } from "../../core/relay/chunk-source.ts";
import { clientSignal } from "../request-io.ts";
import type { AppEnv } from "../types.ts";

const TURN_ROUTES = new Set([
  "/backend-api/codex/responses",
  "/backend-api/codex/v1/responses",
  "/backend-api/codex/v1/chat/completions",
  "/v1/responses",
  "/v1/chat/completions",
]);

const CONTROL_ROUTES = new Set([
  "/backend-api/codex/models",
  "/backend-api/codex/v1/models",
  "/v1/models",
  "/backend-api/wham/usage",
  "/wham/usage",
  "/api/codex/usage",
  "/v1/usage",
]);

/**
 * The class of a request by method and path; `turn` when the body decides (stream or not); undefined
 * for what is not admission-controlled (health checks, unknown routes, static answers).
 */
export function routeClassOf(method: string, path: string): RouteClass | "turn" | undefined {
  if (path === "/admin" || path.startsWith("/admin/")) return "console";
  if (path === "/observatory" || path.startsWith("/observatory/")) return "console";
  if (path === "/mcp") return "mcp";
  if (method === "POST" && TURN_ROUTES.has(path)) return "turn";
  if (path.endsWith("/responses/compact")) return "proxy_compact";
  if (path === "/v1/audio/transcriptions" || path === "/backend-api/transcribe") return "audio";
  if (path.startsWith("/v1/files") || path.startsWith("/backend-api/files")) {
    return method === "POST" ? "file_upload" : "proxy_control";
  }
  if (path.startsWith("/v1/images/") || path.startsWith("/backend-api/codex/images/")) return "proxy_http";
  if (CONTROL_ROUTES.has(path)) return "proxy_control";
  return undefined;
}

/** JSON-RPC's "server error" for /mcp clients, with the same status and Retry-After. */
function mcpOverloaded(error: OverloadedError): Response {
  return Response.json(
    {
      jsonrpc: "2.0",
      error: { code: -32000, message: "MCP route class is temporarily overloaded" },
      id: null,
    },
    { status: error.status, headers: { ...error.headers, "cache-control": "no-store" } },
  );
}

/** Slots for the routes classed by path; a no-op on hosts without admission (AWS). */
export function admission(gw: Gateway) {
  return createMiddleware<AppEnv>(async function admission(c, next) {
    const routeClass = gw.admission ? routeClassOf(c.req.method, c.req.path) : undefined;
    if (!gw.admission || routeClass === undefined || routeClass === "turn") return next();
    let lease: Awaited<ReturnType<typeof gw.admission.acquire>>;
    try {
      lease = await gw.admission.acquire(routeClass, clientSignal(c));
    } catch (error) {
      if (routeClass === "mcp" && error instanceof OverloadedError) return mcpOverloaded(error);
      throw error;
    }
    try {
      await next();
    } finally {
      lease.release();
    }
  });
}

/**
 * Runs a turn in a slot of its class; a streamed answer holds the slot until its body has been sent
 * or abandoned, anything else gives it back when `run` returns or throws.
 */
export async function withTurnSlot(
  gw: Gateway,
  c: Context<AppEnv>,
  stream: boolean,
  run: () => Promise<Response>,
): Promise<Response> {
  const lease = await gw.admission?.acquire(stream ? "proxy_stream" : "proxy_http", clientSignal(c));
  let poolLease: Lease | undefined;
  try {
    // The optional per-Pool cap across instances (AWS), after this process's own bulkhead.
    poolLease = await takePoolSlot(gw, c.get("pool").name);
  } catch (error) {
    lease?.release();
    throw error;
  }
  if (!lease && !poolLease) return run();
  const release = () => {
    lease?.release();
    poolLease?.release();
  };
  try {
    return onBodyDone(await run(), release);
  } catch (error) {
    release();
    throw error;
  }
}

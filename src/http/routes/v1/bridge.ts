// Glue for the unary bridges: call the Pool, log one row, relay or translate the answer.
import type { Context } from "hono";
import { GatewayError } from "../../../core/errors.ts";
import type { Gateway } from "../../../core/gateway.ts";
import type { TokenUsage } from "../../../core/model.ts";
import { callPool, logUnary, type UnaryCall, type UnaryResult } from "../../../core/relay/unary.ts";
import type { AppEnv } from "../../types.ts";

export type BridgeCall = Omit<UnaryCall, "key" | "pool" | "signal" | "requestId">;

/** One logged upstream call for a request; errors are logged and rethrown. */
export async function bridge(
  gw: Gateway,
  c: Context<AppEnv>,
  route: string,
  call: BridgeCall,
  usage?: (json: unknown) => TokenUsage | undefined,
): Promise<UnaryResult> {
  const req = {
    key: c.get("key"),
    pool: c.get("pool"),
    route,
    startedAt: c.get("startedAt"),
    model: call.model,
  };
  try {
    const result = await callPool(gw, {
      ...call,
      key: req.key,
      pool: req.pool,
      signal: c.req.raw.signal,
      requestId: c.get("requestId"),
    });
    const ok = result.status >= 200 && result.status < 300;
    logUnary(gw, req, {
      status: result.status,
      errorCode: ok ? undefined : `upstream_http_${result.status}`,
      account: result.account,
      attempts: result.attempts,
      usage: ok ? usage?.(result.json) : undefined,
    });
    return result;
  } catch (error) {
    const status = error instanceof GatewayError ? error.status : 500;
    logUnary(gw, req, { status, errorCode: error instanceof GatewayError ? error.code : "internal_error" });
    throw error;
  }
}

/** The upstream answer as is (native /backend-api routes): status, JSON body, no upstream headers. */
export function relayAnswer(result: UnaryResult): Response {
  return new Response(result.text, {
    status: result.status,
    headers: {
      "content-type": result.headers.get("content-type") ?? "application/json",
      "cache-control": "no-store",
    },
  });
}

/** Client fingerprints (SDK user agents) stay here; the upstream sees the Codex identity. */
export function sdkHeaders(headers: Headers): Headers {
  const out = new Headers(headers);
  for (const name of ["user-agent", "originator", "version"]) out.delete(name);
  return out;
}

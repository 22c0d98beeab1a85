// The runtime firewall in front of every route but the open ones (isFirewallOpenPath: the health
// probes and the admin API): a client whose address is not on the allow-list gets 403
// `access_denied` before any authentication (src/core/access/firewall.ts decides). It also resolves the
// client's address once per request, for the failed-auth throttle (client-address.ts).
import type { MiddlewareHandler } from "hono";
import { accessDenied, FIREWALL_DENIED_MESSAGE, isFirewallOpenPath } from "../../core/access/firewall.ts";
import type { Gateway } from "../../core/gateway.ts";
import { peerAddress } from "../client-address.ts";
import { rpcError } from "../json-rpc.ts";
import type { AppEnv } from "../types.ts";

/** A denied request's answer, in the route family's own error shape (MCP: JSON-RPC). */
export const firewallRefusal = (path: string): Response =>
  path === "/mcp" ? rpcError(403, -32000, FIREWALL_DENIED_MESSAGE) : accessDenied().toResponse();

export function runtimeFirewall(gw: Gateway): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const path = c.req.path;
    // The probes take no credential and read no settings: a load balancer sees the process itself.
    if (path === "/healthz" || path === "/readyz") return next();
    const peer = peerAddress(c);
    if (isFirewallOpenPath(path)) {
      // Open to every address; the address still keys the throttle. Without settings (the store
      // is unreachable and this instance has read none yet) the peer stands in.
      const verdict = await gw.settings.client(peer, c.req.raw.headers).catch(() => undefined);
      c.set("client", verdict?.address ?? peer);
      return next();
    }
    const verdict = await gw.settings.client(peer, c.req.raw.headers, routeFamily(path));
    if (!verdict.allowed) return firewallRefusal(path);
    c.set("client", verdict.address ?? peer);
    await next();
  };
}

const routeFamily = (path: string) =>
  path.startsWith("/v1/")
    ? "v1"
    : path.startsWith("/mcp")
      ? "mcp"
      : path.startsWith("/backend-api/")
        ? "backend-api"
        : path === "/admin" || path.startsWith("/admin/")
          ? "console"
          : "other";

// The runtime firewall in front of the routes clients call: a client whose address is not on the
// allow-list gets 403 `access_denied` before any authentication (src/core/firewall.ts decides).
import type { Context, MiddlewareHandler } from "hono";
import { accessDenied } from "../../core/firewall.ts";
import type { Gateway } from "../../core/gateway.ts";
import { clientAddress } from "../client-address.ts";
import type { AppEnv } from "../types.ts";

/** `refuse` answers a denied request in the route family's own error shape (MCP: JSON-RPC). */
export function runtimeFirewall(
  gw: Gateway,
  refuse: (c: Context) => Response = () => accessDenied().toResponse(),
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!(await gw.settings.admits(clientAddress(c), c.req.raw.headers, routeFamily(c.req.path)))) {
      return refuse(c);
    }
    await next();
  };
}

const routeFamily = (path: string) =>
  path.startsWith("/v1/") ? "v1" : path.startsWith("/mcp") ? "mcp" : "backend-api";

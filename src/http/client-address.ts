// The address a request comes from. The peer: the Node host (@hono/node-server, and the WebSocket
// host's answers to upgrade requests on other routes) hands the raw socket in `c.env.incoming`; on
// Lambda the socket is CloudFront's, so the stream adapter records the viewer's address (set by the
// distribution's viewer-request function, trusted only once the origin header is verified) against
// the Request. The client: the peer, or behind a configured trusted proxy the address it forwards,
// as the firewall middleware resolved it; the failed-auth throttle keys on that.
import type { Context } from "hono";
import type { AppEnv } from "./types.ts";

// A WeakMap rather than a header, so nothing a client sends can set it.
const viewerAddresses = new WeakMap<Request, string>();

export function setViewerAddress(request: Request, address: string): void {
  viewerAddresses.set(request, address);
}

export function peerAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? viewerAddresses.get(c.req.raw);
}

export function clientAddress(c: Context<AppEnv>): string | undefined {
  return c.get("client") ?? peerAddress(c);
}

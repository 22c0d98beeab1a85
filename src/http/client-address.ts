// The peer address of a request, for failed-auth rate limiting. The Node host (@hono/node-server)
// hands the raw socket in `c.env.incoming`. On Lambda the socket is CloudFront's, so the stream
// adapter records the viewer's address (set by the distribution's viewer-request function, trusted
// only once the origin header is verified) against the Request. Hosts with neither give none, and
// only the per-credential limit applies there.
import type { Context } from "hono";

// A WeakMap rather than a header, so nothing a client sends can set it.
const viewerAddresses = new WeakMap<Request, string>();

export function setViewerAddress(request: Request, address: string): void {
  viewerAddresses.set(request, address);
}

export function clientAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? viewerAddresses.get(c.req.raw);
}

// The address a request comes from. The peer: the host hands it over (HostBindings.peerAddress): the
// Node host its socket's (also for upgrade requests on other routes); on Lambda the socket is
// CloudFront's, so the stream adapter hands over the viewer's address (set by the distribution's
// viewer-request function, trusted only once the origin header is verified). The client: the peer, or behind a configured trusted proxy the address it forwards,
// as the firewall middleware resolved it; the failed-auth throttle keys on that.
import type { Context } from "hono";
import type { AppEnv, HostBindings } from "./types.ts";

/** The peer's address as the host hands it over (HostBindings). */
export function peerAddress(c: Context): string | undefined {
  return (c.env as HostBindings | undefined)?.peerAddress;
}

export function clientAddress(c: Context<AppEnv>): string | undefined {
  return c.get("client") ?? peerAddress(c);
}

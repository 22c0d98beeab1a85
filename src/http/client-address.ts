// The peer address of a request, for failed-auth rate limiting. The Node host (@hono/node-server)
// hands the raw socket in `c.env.incoming`; hosts without one (Lambda behind CloudFront) give none,
// and only the per-credential limit applies there.
import type { Context } from "hono";

export function clientAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

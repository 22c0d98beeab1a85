// The runtime firewall: a client-IP allow-list in front of every route except the health probes and
// the admin API (isFirewallOpenPath). An empty list turns it off. The client's address is the
// connection's peer unless that peer is a trusted proxy, in which case it comes from X-Forwarded-For
// (the right-most entry that is not a trusted proxy, or `proxyDepth` entries further left) or
// X-Real-IP. The same resolved address keys the failed-authentication throttle, with the firewall on
// or off. Anything that cannot be read (a malformed header, too many hops, a stored rule that does
// not parse) denies: the firewall fails closed.
import { BlockList, isIP } from "node:net";
import { GatewayError } from "../errors.ts";

/** What a refused client is told (403 `access_denied`, MCP's JSON-RPC error, a WebSocket 1008 close). */
export const FIREWALL_DENIED_MESSAGE = "client IP is not allowed";

/** The refusal on HTTP routes and WebSocket upgrades. */
export const accessDenied = () => new GatewayError(403, "access_denied", FIREWALL_DENIED_MESSAGE);

export type ClientIpSource = "peer" | "x_forwarded_for" | "x_real_ip";

export interface FirewallSettings {
  /** IPs and CIDR ranges allowed to call the runtime routes; empty = firewall off. */
  allow: string[];
  /** Peers whose forwarding headers are believed (a reverse proxy or load balancer in front). */
  trustedProxies: string[];
  clientIpSource: ClientIpSource;
  /** With x_forwarded_for: how many further non-proxy entries to skip from the right (0–16). */
  proxyDepth: number;
}

export const DEFAULT_FIREWALL: FirewallSettings = {
  allow: [],
  trustedProxies: [],
  clientIpSource: "x_forwarded_for",
  proxyDepth: 0,
};

/** The most X-Forwarded-For entries read; a longer chain is refused rather than walked. */
const MAX_HOPS = 32;
/** Longest header value accepted for one address (with a port). */
const MAX_ADDRESS_LENGTH = 64;

export type ParsedRule = { address: string; prefix: number; family: "ipv4" | "ipv6" };

/** "10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1": a parsed rule, or undefined when invalid. */
export function parseRule(rule: string): ParsedRule | undefined {
  const [rawAddress, rawPrefix, extra] = rule.trim().split("/");
  if (extra !== undefined || !rawAddress) return undefined;
  const address = unmapped(rawAddress);
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  if (rawPrefix !== undefined && !/^\d{1,3}$/.test(rawPrefix)) return undefined;
  const prefix = rawPrefix === undefined ? max : Number(rawPrefix);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

/** A list of rules as a matcher, or undefined when any rule is invalid (one bad rule fails closed). */
function compileList(rules: string[]): BlockList | undefined {
  const list = new BlockList();
  try {
    for (const rule of rules) {
      const parsed = parseRule(rule);
      if (!parsed) return undefined;
      list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
  } catch {
    return undefined;
  }
  return list;
}

const matches = (list: BlockList, address: string) => {
  const version = isIP(address);
  try {
    return version !== 0 && list.check(address, version === 4 ? "ipv4" : "ipv6");
  } catch {
    return false;
  }
};

/** "::ffff:192.0.2.7" → "192.0.2.7" (Node reports IPv4 peers on dual-stack sockets that way). */
function unmapped(address: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;
}

/** One header address: "192.0.2.7", "192.0.2.7:5123", "[2001:db8::1]:443", "2001:db8::1". */
function headerAddress(raw: string): string | undefined {
  const value = raw.trim();
  if (value.length === 0 || value.length > MAX_ADDRESS_LENGTH || !/^[\x21-\x7e]+$/.test(value))
    return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(value);
  const withPort = /^(\d+\.\d+\.\d+\.\d+):\d{1,5}$/.exec(value);
  const address = unmapped(bracketed?.[1] ?? withPort?.[1] ?? value);
  return isIP(address) === 0 ? undefined : address;
}

export interface ClientHeaders {
  get(name: string): string | null | undefined;
}

/** Who a request comes from, and whether the firewall lets it through. */
export interface ClientVerdict {
  /**
   * The client's address as resolved through the trusted proxies; the peer's when no trusted proxy
   * speaks for it; undefined when a trusted proxy's header cannot be read (or there is no peer).
   */
  address: string | undefined;
  /** False when the firewall is on and this client is not allowed (or cannot be identified). */
  allowed: boolean;
}

export interface CompiledFirewall {
  check(peer: string | undefined, headers: ClientHeaders): ClientVerdict;
}

export function compileFirewall(settings: FirewallSettings): CompiledFirewall {
  const on = settings.allow.length > 0;
  const allow = compileList(settings.allow);
  const proxies = compileList(settings.trustedProxies);
  // A stored rule that does not parse: the firewall (if on) refuses everyone; addresses are then
  // resolved without believing any proxy (the throttle still needs a key).
  const broken = !allow || !proxies;
  // No trusted proxy (the usual set-up): every client is its peer, without a list lookup per request.
  const anyProxy = proxies !== undefined && settings.trustedProxies.length > 0;
  const clientOf = (peer: string | undefined, headers: ClientHeaders): string | undefined => {
    const direct = peer === undefined ? undefined : unmapped(peer);
    if (direct === undefined || !anyProxy || settings.clientIpSource === "peer" || !matches(proxies, direct))
      return direct;
    if (settings.clientIpSource === "x_real_ip") {
      const real = headers.get("x-real-ip");
      if (real == null) return direct;
      return real.includes(",") ? undefined : headerAddress(real);
    }
    const forwarded = headers.get("x-forwarded-for");
    if (forwarded == null) return direct;
    const hops = forwarded.split(",");
    if (hops.length > MAX_HOPS) return undefined;
    let skip = settings.proxyDepth;
    for (let i = hops.length - 1; i >= 0; i--) {
      const address = headerAddress(hops[i] as string);
      if (address === undefined) return undefined;
      if (matches(proxies, address)) continue;
      if (skip-- === 0) return address;
    }
    return undefined;
  };
  return {
    check(peer, headers) {
      const address = clientOf(peer, headers);
      if (!on) return { address, allowed: true };
      return { address, allowed: !broken && address !== undefined && matches(allow, address) };
    },
  };
}

/**
 * Paths every client may reach whatever the allow-list says: the health probes (load balancers
 * and uptime checks) and the admin API (authenticated, throttled, and the way an operator undoes an
 * allow-list that shut them out). Everything else (runtime, MCP, console, unknown paths) is behind it.
 */
export function isFirewallOpenPath(path: string): boolean {
  return path === "/healthz" || path === "/readyz" || path.startsWith("/admin/v1/") || path === "/admin/v1";
}

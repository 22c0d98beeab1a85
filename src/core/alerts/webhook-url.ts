// SSRF guard for alert webhooks. A URL must be https (http only with the local-development flag),
// carry no credentials, and name no address the gateway must never call: link-local and cloud
// metadata endpoints, unspecified, multicast and reserved ranges always; loopback and private
// ranges unless the local-development flag is on. Addresses are checked again at connect time
// (adapters/alerts/webhook-post.ts), so a name that later resolves somewhere forbidden is refused too.
import { createHash } from "node:crypto";
import { BlockList, isIP } from "node:net";
import { badRequest } from "../errors.ts";

const always = new BlockList();
always.addSubnet("0.0.0.0", 8, "ipv4"); // "this network", unspecified
always.addSubnet("169.254.0.0", 16, "ipv4"); // link-local, incl. 169.254.169.254 metadata
always.addSubnet("224.0.0.0", 4, "ipv4"); // multicast
always.addSubnet("240.0.0.0", 4, "ipv4"); // reserved, broadcast
always.addAddress("::", "ipv6");
always.addSubnet("fe80::", 10, "ipv6"); // link-local
always.addSubnet("ff00::", 8, "ipv6"); // multicast
always.addAddress("fd00:ec2::254", "ipv6"); // AWS instance metadata over IPv6
always.addSubnet("64:ff9b::a9fe:0", 112, "ipv6"); // link-local through the NAT64 prefix

const localOnly = new BlockList();
localOnly.addSubnet("127.0.0.0", 8, "ipv4");
localOnly.addSubnet("10.0.0.0", 8, "ipv4");
localOnly.addSubnet("172.16.0.0", 12, "ipv4");
localOnly.addSubnet("192.168.0.0", 16, "ipv4");
localOnly.addSubnet("100.64.0.0", 10, "ipv4"); // carrier-grade NAT
localOnly.addSubnet("198.18.0.0", 15, "ipv4"); // benchmarking
localOnly.addAddress("::1", "ipv6");
localOnly.addSubnet("fc00::", 7, "ipv6"); // unique local
localOnly.addSubnet("64:ff9b::", 96, "ipv6"); // NAT64: any embedded IPv4 address

const METADATA_HOSTS = new Set([
  "metadata",
  "metadata.google.internal",
  "instance-data",
  "instance-data.ec2.internal",
]);

/** Why an address may not be called, or undefined when it may. */
export function forbiddenAddress(address: string, allowLocal: boolean): string | undefined {
  let ip = address.replace(/^\[|\]$/g, "").toLowerCase();
  const family = isIP(ip);
  if (family === 0) return "not_an_address";
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped?.[1]) ip = mapped[1];
  const type = isIP(ip) === 6 ? "ipv6" : "ipv4";
  if (always.check(ip, type)) return "link_local_or_reserved_address";
  if (!allowLocal && localOnly.check(ip, type)) return "private_or_loopback_address";
  return undefined;
}

/** Validates an operator-supplied webhook URL; throws a 400 naming `param` with what to change. */
export function checkWebhookUrl(raw: string, allowLocal: boolean, param = "url"): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest("the webhook URL is not a valid absolute URL", param);
  }
  if (url.protocol !== "https:" && !(allowLocal && url.protocol === "http:")) {
    throw badRequest(
      "the webhook URL must use https:// (http:// is accepted only with POOLER_ALERT_WEBHOOK_ALLOW_INSECURE for local development)",
      param,
    );
  }
  if (url.username || url.password) {
    throw badRequest("the webhook URL must not carry credentials; use the channel's signing secret", param);
  }
  url.hash = "";
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (isIP(host)) {
    const reason = forbiddenAddress(host, allowLocal);
    if (reason) throw badRequest(`the webhook URL points to a forbidden address (${reason})`, param);
  } else {
    const name = host.replace(/\.$/, "");
    if (METADATA_HOSTS.has(name)) {
      throw badRequest("the webhook URL points to a cloud metadata endpoint", param);
    }
    if (!allowLocal && (name === "localhost" || name.endsWith(".localhost"))) {
      throw badRequest("the webhook URL points to localhost", param);
    }
  }
  return url;
}

/**
 * What views may show of a webhook URL: host (with port), the start of the path (at most 8
 * characters of its first segment, since paths often hold the webhook's own token), a fingerprint.
 */
export function urlParts(url: URL): { host: string; pathPrefix: string; fingerprint: string } {
  const path = url.pathname + url.search;
  const first = url.pathname.split("/").filter(Boolean)[0] ?? "";
  const shown = `/${first.slice(0, 8)}`;
  return {
    host: url.host,
    pathPrefix: path.length > shown.length ? `${shown}…` : shown,
    fingerprint: createHash("sha256").update(url.toString()).digest("hex").slice(0, 16),
  };
}

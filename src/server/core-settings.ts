// The one mapping from a host's configuration to the core's settings, used by the local and the AWS
// host: the same names on both sides, and a setting a host does not read keeps the core's default.
import type { CoreConfig, HostParts } from "../core/context.ts";

const CORE_SETTINGS = [
  "upstreamBaseUrl",
  "authBaseUrl",
  "requestLogRetentionDays",
  "sseKeepAliveMs",
  "firstEventTimeoutMs",
  "maxUpstreamEventBytes",
  "maxBodyBytes",
  "maxCompressedBodyBytes",
  "streamIdleTimeoutMs",
  "upstreamHeadersTimeoutMs",
  "alertWebhookAllowInsecure",
  "poolConcurrencyCap",
] as const satisfies readonly (keyof CoreConfig)[];

/** The core settings a host configuration may carry (each host reads the ones it supports). */
export type HostCoreSettings = Partial<Pick<CoreConfig, (typeof CORE_SETTINGS)[number]>>;

/** The core settings in a host's configuration; absent ones are left out, so the defaults stand. */
export function coreSettings(config: HostCoreSettings): HostParts["settings"] {
  return Object.fromEntries(
    CORE_SETTINGS.flatMap((name) => (config[name] === undefined ? [] : [[name, config[name]]])),
  ) as HostParts["settings"];
}

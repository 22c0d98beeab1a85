// The one mapping from the environment to the core's settings, used by the local and the AWS host:
// each setting's variable, range and default are written here once, so the hosts cannot drift (the
// AWS host used to skip two of them). Hand-written rather than zod: the runtime Lambda bundle has no zod.
import { type CoreConfig, defaultCoreConfig, type HostParts } from "../core/context.ts";

type IntSpec = { env: string; kind: "int"; min: number; max: number };
type UrlSpec = { env: string; kind: "url" };
type FlagSpec = { env: string; kind: "flag" };
type Spec = IntSpec | UrlSpec | FlagSpec;

/** An integer variable within `min`–`max`. */
export const int = (env: string, min: number, max: number): IntSpec => ({ env, kind: "int", min, max });
/** An http(s) URL variable; its trailing slashes are dropped. */
export const url = (env: string): UrlSpec => ({ env, kind: "url" });

const CORE_ENV = {
  upstreamBaseUrl: url("CODEX_UPSTREAM_BASE_URL"),
  authBaseUrl: url("CODEX_AUTH_BASE_URL"),
  requestLogRetentionDays: int("POOLER_REQUEST_LOG_RETENTION_DAYS", 1, 3650),
  sseKeepAliveMs: int("POOLER_SSE_KEEPALIVE_MS", 0, 300_000),
  firstEventTimeoutMs: int("POOLER_FIRST_EVENT_TIMEOUT_MS", 0, 300_000),
  maxUpstreamEventBytes: int("POOLER_MAX_UPSTREAM_EVENT_BYTES", 65_536, 268_435_456),
  maxBodyBytes: int("POOLER_MAX_BODY_BYTES", 1_048_576, 268_435_456),
  maxCompressedBodyBytes: int("POOLER_MAX_COMPRESSED_BODY_BYTES", 65_536, 268_435_456),
  streamIdleTimeoutMs: int("POOLER_STREAM_IDLE_TIMEOUT_MS", 0, 3_600_000),
  upstreamHeadersTimeoutMs: int("POOLER_UPSTREAM_HEADERS_TIMEOUT_MS", 100, 600_000),
  alertWebhookAllowInsecure: { env: "POOLER_ALERT_WEBHOOK_ALLOW_INSECURE", kind: "flag" },
  poolConcurrencyCap: int("POOLER_POOL_CONCURRENCY_CAP", 0, 100_000),
} as const satisfies { [K in keyof CoreConfig]?: Spec };

type CoreEnvName = keyof typeof CORE_ENV;

/** The core settings both hosts read from their environment, every one filled in. */
export type CoreEnvSettings = Required<Pick<CoreConfig, CoreEnvName>>;

// The core's own defaults, and the two settings it leaves unset when no host sets them.
const DEFAULTS: Partial<Record<CoreEnvName, unknown>> = {
  ...defaultCoreConfig,
  alertWebhookAllowInsecure: false,
  poolConcurrencyCap: 0,
};

/** Builds the error for a bad variable from `<VARIABLE>: must be …`; the host says how it was configured. */
export type SettingFailure = (message: string) => Error;

/**
 * Reads the core settings from the environment; an unset or empty variable keeps the core's default.
 * A bad value throws what `fail` builds.
 */
export function readCoreSettings(env: NodeJS.ProcessEnv, fail: SettingFailure): CoreEnvSettings {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(CORE_ENV) as [CoreEnvName, Spec][]) {
    out[name] = readSetting(env, spec, fail) ?? DEFAULTS[name];
  }
  return out as CoreEnvSettings;
}

/** One variable by its spec (also for a host's own settings): undefined when unset or empty. */
export function readSetting(env: NodeJS.ProcessEnv, spec: IntSpec, fail: SettingFailure): number | undefined;
export function readSetting(env: NodeJS.ProcessEnv, spec: UrlSpec, fail: SettingFailure): string | undefined;
export function readSetting(env: NodeJS.ProcessEnv, spec: Spec, fail: SettingFailure): unknown;
export function readSetting(env: NodeJS.ProcessEnv, spec: Spec, fail: SettingFailure): unknown {
  const raw = env[spec.env];
  if (raw === undefined || raw === "") return undefined;
  const value = parse(spec, raw);
  if (value === undefined) throw fail(`${spec.env}: must be ${expected(spec)}`);
  return value;
}

function parse(spec: Spec, raw: string): number | string | boolean | undefined {
  switch (spec.kind) {
    case "int": {
      const n = Number(raw);
      return /^-?\d+$/.test(raw) && n >= spec.min && n <= spec.max ? n : undefined;
    }
    case "url":
      return /^https?:\/\/\S+$/.test(raw) ? raw.replace(/\/+$/, "") : undefined;
    case "flag":
      return ["0", "1", "true", "false"].includes(raw) ? raw === "1" || raw === "true" : undefined;
  }
}

function expected(spec: Spec): string {
  if (spec.kind === "int") return `an integer from ${spec.min} to ${spec.max}`;
  return spec.kind === "url" ? "an http(s) URL" : "0, 1, true or false";
}

/** The core's part of a host configuration, as the settings the core is built with. */
export function coreSettings(config: CoreEnvSettings): HostParts["settings"] {
  return Object.fromEntries(Object.keys(CORE_ENV).map((name) => [name, config[name as CoreEnvName]]));
}

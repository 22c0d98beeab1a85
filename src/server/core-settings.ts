// The one mapping from the environment to the core's settings, used by the local and the AWS host:
// each setting's variable, range and default are written here once, so the hosts cannot drift (the
// AWS host used to skip two of them). Hand-written rather than zod: the runtime Lambda bundle has no zod.
import { type CoreConfig, defaultCoreConfig, type HostParts } from "../core/context.ts";

type IntSpec = { env: string; kind: "int"; min: number; max: number };
type Spec = IntSpec | { env: string; kind: "url" } | { env: string; kind: "flag" };

const int = (env: string, min: number, max: number): IntSpec => ({ env, kind: "int", min, max });

const CORE_ENV = {
  upstreamBaseUrl: { env: "CODEX_UPSTREAM_BASE_URL", kind: "url" },
  authBaseUrl: { env: "CODEX_AUTH_BASE_URL", kind: "url" },
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

const DEFAULTS: CoreEnvSettings = {
  ...(Object.fromEntries(
    Object.keys(CORE_ENV).flatMap((name) => {
      const value = defaultCoreConfig[name as keyof typeof defaultCoreConfig];
      return value === undefined ? [] : [[name, value]];
    }),
  ) as Partial<CoreEnvSettings>),
  streamIdleTimeoutMs: defaultCoreConfig.streamIdleTimeoutMs ?? 300_000,
  alertWebhookAllowInsecure: false,
  poolConcurrencyCap: 0,
} as CoreEnvSettings;

/** Builds the error for a bad variable from `<VARIABLE>: must be …`; the host says how it was configured. */
export type SettingFailure = (message: string) => Error;

/**
 * Reads the core settings from the environment; an empty variable counts as unset. A bad value throws
 * what `fail` builds.
 */
export function readCoreSettings(env: NodeJS.ProcessEnv, fail: SettingFailure): CoreEnvSettings {
  const out: Record<string, unknown> = { ...DEFAULTS };
  for (const [name, spec] of Object.entries(CORE_ENV) as [CoreEnvName, Spec][]) {
    const raw = env[spec.env]?.trim();
    if (raw === undefined || raw === "") continue;
    const value = parse(spec, raw);
    if (value === undefined) throw fail(`${spec.env}: must be ${expected(spec)}`);
    out[name] = value;
  }
  return out as CoreEnvSettings;
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

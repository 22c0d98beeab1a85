// Local host configuration from the environment; invalid values fail at start with one clear line.
import { resolve } from "node:path";
import { z } from "zod";
import {
  type AdmissionLimits,
  DEFAULT_ADMISSION_LIMITS,
  parseBulkheadLimits,
  ROUTE_CLASSES,
} from "../core/access/admission.ts";
import { readCoreSettings } from "./core-settings.ts";

const url = (name: string) =>
  z
    .string()
    .url(`${name} must be an http(s) URL`)
    .refine((v) => /^https?:\/\//.test(v), `${name} must be an http(s) URL`)
    .transform((v) => v.replace(/\/+$/, ""));

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default("127.0.0.1"),
  POOLER_DATA_DIR: z.string().min(1).default("./.pooler-data"),
  POOLER_ADMIN_TOKEN: z.string().min(16, "POOLER_ADMIN_TOKEN must be at least 16 characters").optional(),
  /** The address clients reach the gateway at, behind a reverse proxy (invite links); else the request's. */
  POOLER_PUBLIC_BASE_URL: url("POOLER_PUBLIC_BASE_URL").optional(),
  POOLER_USAGE_POLL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  POOLER_DYNAMODB_ENDPOINT: url("POOLER_DYNAMODB_ENDPOINT").optional(),
  POOLER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(15_000),
  POOLER_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(120_000),
  POOLER_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  POOLER_WS_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(1_800_000),
  POOLER_EXPIRY_SWEEP_MINUTES: z.coerce.number().int().min(0).max(1_440).default(15),
  POOLER_ALERT_EVALUATE_SECONDS: z.coerce.number().int().min(60).max(86_400).default(300),
});

export type LocalConfig = ReturnType<typeof loadConfig>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const core = readCoreSettings(env, (message) => new ConfigError(`invalid configuration: ${message}`));
  const result = Env.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== "")));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(`invalid configuration: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  const e = result.data;
  if (e.POOLER_HEADERS_TIMEOUT_MS > e.POOLER_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      "invalid configuration: POOLER_HEADERS_TIMEOUT_MS must not be larger than POOLER_REQUEST_TIMEOUT_MS",
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: resolve(e.POOLER_DATA_DIR),
    adminToken: e.POOLER_ADMIN_TOKEN,
    publicBaseUrl: e.POOLER_PUBLIC_BASE_URL,
    ...core,
    shutdownGraceMs: e.POOLER_SHUTDOWN_GRACE_MS,
    requestTimeoutMs: e.POOLER_REQUEST_TIMEOUT_MS,
    headersTimeoutMs: e.POOLER_HEADERS_TIMEOUT_MS,
    websocketIdleTimeoutMs: e.POOLER_WS_IDLE_TIMEOUT_MS,
    usagePollSeconds: e.POOLER_USAGE_POLL_SECONDS,
    dynamoEndpoint: e.POOLER_DYNAMODB_ENDPOINT,
    expirySweepMinutes: e.POOLER_EXPIRY_SWEEP_MINUTES,
    alertEvaluateSeconds: e.POOLER_ALERT_EVALUATE_SECONDS,
    admission: admissionLimits(env),
  };
}

/** `POOLER_ADMISSION_<CLASS>=<concurrency>,<queue>,<timeout ms>` over the defaults, per route class. */
function admissionLimits(env: NodeJS.ProcessEnv): AdmissionLimits {
  const limits = { ...DEFAULT_ADMISSION_LIMITS };
  for (const routeClass of ROUTE_CLASSES) {
    const name = `POOLER_ADMISSION_${routeClass.toUpperCase()}`;
    const value = env[name];
    if (value === undefined || value === "") continue;
    const parsed = parseBulkheadLimits(value);
    if (!parsed) {
      throw new ConfigError(
        `invalid configuration: ${name} must be <concurrency>,<queue>,<timeout ms> (e.g. 32,128,10000): concurrency at least 1, timeout 1 to 600000 ms`,
      );
    }
    limits[routeClass] = parsed;
  }
  return limits;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

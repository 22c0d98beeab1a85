// Both hosts hand the core their settings through one mapping (src/server/core-settings.ts): the same
// environment gives the local host and the AWS host the same core settings, and a setting a host does
// not read keeps the core's default rather than becoming undefined.
import { describe, expect, it } from "vitest";
import { defaultCoreConfig } from "../src/core/context.ts";
import { awsConfigFromEnv, createAwsHost } from "../src/server/aws-host.ts";
import { loadConfig } from "../src/server/config.ts";
import { coreSettings } from "../src/server/core-settings.ts";

const shared = {
  CODEX_UPSTREAM_BASE_URL: "http://127.0.0.1:9/backend-api",
  CODEX_AUTH_BASE_URL: "http://127.0.0.1:9/auth",
  POOLER_REQUEST_LOG_RETENTION_DAYS: "7",
  POOLER_SSE_KEEPALIVE_MS: "2500",
  POOLER_FIRST_EVENT_TIMEOUT_MS: "4000",
  POOLER_MAX_UPSTREAM_EVENT_BYTES: "131072",
  POOLER_MAX_BODY_BYTES: "2097152",
  POOLER_MAX_COMPRESSED_BODY_BYTES: "1048576",
};
const awsOnly = {
  POOLER_STATE_TABLE: "state",
  POOLER_REQUEST_LOG_TABLE: "logs",
  POOLER_SECRET_PREFIX: "pooler/test/",
  POOLER_POOL_CONCURRENCY_CAP: "3",
};

describe("host settings", () => {
  it("the same environment gives both hosts the same core settings", () => {
    const local = { ...defaultCoreConfig, ...coreSettings(loadConfig(shared)) };
    const aws = createAwsHost(awsConfigFromEnv({ ...shared, ...awsOnly })).ctx.config;
    const expected = {
      upstreamBaseUrl: "http://127.0.0.1:9/backend-api",
      authBaseUrl: "http://127.0.0.1:9/auth",
      requestLogRetentionDays: 7,
      sseKeepAliveMs: 2500,
      firstEventTimeoutMs: 4000,
      maxUpstreamEventBytes: 131_072,
      maxBodyBytes: 2_097_152,
      maxCompressedBodyBytes: 1_048_576,
    };
    expect(local).toMatchObject(expected);
    expect(aws).toMatchObject(expected);
    expect(aws.poolConcurrencyCap).toBe(3);
  });

  it("a setting a host does not read keeps the core's default", () => {
    const aws = createAwsHost(awsConfigFromEnv(awsOnly)).ctx.config;
    // The AWS host reads no stream-idle or upstream-headers timeout: the defaults stand.
    expect(aws.streamIdleTimeoutMs).toBe(defaultCoreConfig.streamIdleTimeoutMs);
    expect(aws.upstreamHeadersTimeoutMs).toBe(defaultCoreConfig.upstreamHeadersTimeoutMs);
    expect(aws.clientVersion).toBe(defaultCoreConfig.clientVersion);
    const settings = coreSettings(loadConfig({ POOLER_STREAM_IDLE_TIMEOUT_MS: "9000" }));
    expect(settings.streamIdleTimeoutMs).toBe(9000);
    expect(settings).not.toHaveProperty("poolConcurrencyCap");
    expect(Object.values(settings)).not.toContain(undefined);
  });
});

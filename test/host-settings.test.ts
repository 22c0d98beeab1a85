// Both hosts read the core settings through one mapping (src/server/core-settings.ts): the same
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

  it("an unset or empty variable keeps the core's default on both hosts", () => {
    const aws = createAwsHost(awsConfigFromEnv({ ...awsOnly, POOLER_POOL_CONCURRENCY_CAP: "" })).ctx.config;
    const local = { ...defaultCoreConfig, ...coreSettings(loadConfig({ POOLER_SSE_KEEPALIVE_MS: "" })) };
    for (const config of [aws, local]) {
      expect(config.streamIdleTimeoutMs).toBe(defaultCoreConfig.streamIdleTimeoutMs);
      expect(config.upstreamHeadersTimeoutMs).toBe(defaultCoreConfig.upstreamHeadersTimeoutMs);
      expect(config.sseKeepAliveMs).toBe(defaultCoreConfig.sseKeepAliveMs);
      expect(config.clientVersion).toBe(defaultCoreConfig.clientVersion);
      expect(config.poolConcurrencyCap).toBe(0);
      expect(Object.values(config)).not.toContain(undefined);
    }
  });

  it("both hosts read every core setting: the AWS host no longer skips the stream timeouts", () => {
    const env = { POOLER_STREAM_IDLE_TIMEOUT_MS: "9000", POOLER_UPSTREAM_HEADERS_TIMEOUT_MS: "7000" };
    const aws = createAwsHost(awsConfigFromEnv({ ...awsOnly, ...env })).ctx.config;
    const local = coreSettings(loadConfig({ ...env, POOLER_POOL_CONCURRENCY_CAP: "2" }));
    expect(aws).toMatchObject({ streamIdleTimeoutMs: 9000, upstreamHeadersTimeoutMs: 7000 });
    expect(local).toMatchObject({
      streamIdleTimeoutMs: 9000,
      upstreamHeadersTimeoutMs: 7000,
      poolConcurrencyCap: 2,
    });
  });

  it.each([
    ["POOLER_STREAM_IDLE_TIMEOUT_MS", "-1", "an integer from 0 to 3600000"],
    ["POOLER_MAX_BODY_BYTES", "1.5e6", "an integer from 1048576 to 268435456"],
    ["CODEX_UPSTREAM_BASE_URL", "ftp://x", "an http(s) URL"],
    ["POOLER_ALERT_WEBHOOK_ALLOW_INSECURE", "yes", "0, 1, true or false"],
  ])("%s=%s is refused the same way by both hosts", (name, value, expected) => {
    const reason = `${name}: must be ${expected}`;
    expect(() => loadConfig({ [name]: value })).toThrow(`invalid configuration: ${reason}`);
    expect(() => awsConfigFromEnv({ ...awsOnly, [name]: value })).toThrow(
      `invalid function configuration: ${reason}`,
    );
  });
});

// The AWS observability adapters at their edges: EMF metrics keep dimensions to small fixed sets
// whatever the core passes, and the Powertools logger redacts credentials that slip into a field.
import { describe, expect, it } from "vitest";
import { datapoints, EmfMetrics } from "../src/adapters/observability/emf-metrics.ts";
import { jsonLogger } from "../src/adapters/observability/json-logger.ts";
import { ROUTE_FAMILIES, STATUS_CLASSES } from "../src/adapters/observability/metric-catalog.ts";
import { redact } from "../src/adapters/observability/redacting-logger.ts";

describe("EMF metrics", () => {
  it("maps raw routes, statuses and codes onto bounded dimension values", () => {
    const points = [
      ...datapoints("count", "requests", 1, { route: "/backend-api/codex/responses", status: "200" }),
      ...datapoints("count", "requests", 1, {
        route: "/v1/chat/completions",
        status: "503",
        code: "no_eligible_backend",
      }),
      ...datapoints("count", "requests", 1, {
        route: "/x/acc_1234567890abcdef",
        status: "418",
        code: "made_up_code_from_upstream",
      }),
      ...datapoints("count", "upstream_failover", 1, { code: "upstream_http_502" }),
      ...datapoints("count", "token_refresh", 1, { outcome: "sk-cxp-0123456789ab-secretsecret!" }),
    ];
    const values = (dimension: string) => points.map((p) => p.dimensions[dimension]).filter(Boolean);
    expect(new Set(values("RouteFamily"))).toEqual(
      new Set(["backend_responses", "v1_chat_completions", "other"]),
    );
    for (const v of values("RouteFamily")) expect(ROUTE_FAMILIES).toContain(v);
    for (const v of values("StatusClass")) expect(STATUS_CLASSES).toContain(v);
    expect(values("ErrorCode")).toEqual(["no_eligible_backend", "other"]);
    expect(values("Code")).toEqual(["upstream_http_5xx"]);
    expect(values("Outcome")).toEqual(["other"]);
  });

  it("writes one EMF document per data point, in the configured namespace, without a service dimension", () => {
    const lines: string[] = [];
    const metrics = new EmfMetrics({ namespace: "CodexPooler/unit", write: (l) => lines.push(l) });
    metrics.timing("ttfb", 123, { route: "/backend-api/codex/responses" });
    const doc = JSON.parse(lines[0]!);
    expect(doc._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: "CodexPooler/unit",
      Dimensions: [["RouteFamily"]],
      Metrics: [{ Name: "TimeToFirstByte", Unit: "Milliseconds" }],
    });
    expect(doc).toMatchObject({ RouteFamily: "backend_responses", TimeToFirstByte: 123 });
    expect(doc.service).toBeUndefined();
  });
});

describe("log redaction", () => {
  it("redacts credential-named fields and token-shaped values, keeps metadata and counts", () => {
    const out = redact({
      route: "/backend-api/codex/responses",
      authorization: "Bearer sk-cxp-0123456789ab-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
      refreshToken: "rt_abc",
      usage: { inputTokens: 12, outputTokens: 3 },
      detail:
        "upstream said: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sig and key sk-cxp-0123456789ab-zzzz",
      nested: { cookie: "session=1", list: ["adm-cxp-000000000000-secret"] },
    }) as Record<string, any>;
    expect(out.route).toBe("/backend-api/codex/responses");
    expect(out.authorization).toBe("[redacted]");
    expect(out.refreshToken).toBe("[redacted]");
    expect(out.usage).toEqual({ inputTokens: 12, outputTokens: 3 });
    expect(out.detail).not.toMatch(/eyJ|sk-cxp-0123456789ab-zzzz/);
    expect(out.nested.cookie).toBe("[redacted]");
    expect(out.nested.list[0]).toBe("[redacted]");
  });

  it("applies the same redaction to the JSON-lines logger (local host, MCP function) as to Powertools", () => {
    const lines: string[] = [];
    const logger = jsonLogger((line) => lines.push(line));
    const key = "sk-cxp-0123456789ab-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    logger.warn(`refused Bearer ${key}`, {
      route: "/v1/responses",
      authorization: `Bearer ${key}`,
      detail: key,
    });
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: "warn", route: "/v1/responses", authorization: "[redacted]" });
    expect(lines[0]).not.toContain(key);
    expect(lines[0]).not.toContain("abcdefghijklmnop");
  });
});

// GET /v1/models from the Pool's catalog and GET /v1/usage from the calling key's request logs.
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { NO_KEEPALIVE, useTestGateway } from "./helpers/gateway.ts";
import { openaiFor } from "./helpers/openai.ts";

const { gw, seeded } = useTestGateway({ env: NO_KEEPALIVE, seed: { accounts: 1 } });
let client: OpenAI;
beforeAll(() => {
  client = openaiFor(gw, seeded.key);
});

describe("GET /v1/models", () => {
  it("lists the Pool's catalog in the OpenAI shape with the effective context length", async () => {
    const page = await client.models.list();
    const models = page.data as unknown as Record<string, unknown>[];
    expect(models.map((m) => m.id)).toEqual(["gpt-5.4-mini", "gpt-5.5"]);
    expect(models[1]).toEqual({
      id: "gpt-5.5",
      object: "model",
      created: expect.any(Number),
      owned_by: "codex-pooler",
      permission: [],
      input_modalities: ["text", "image"],
      display_name: "GPT-5.5",
      supports_streaming: true,
      supports_tools: true,
      supports_reasoning: true,
      context_length: 258400,
    });
  });

  it("retrieves one model, and 404s an unknown one", async () => {
    expect((await client.models.retrieve("gpt-5.5")).id).toBe("gpt-5.5");
    const error = await client.models.retrieve("gpt-1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
  });
});

describe("GET /v1/usage", () => {
  it("counts the calling key's requests and tokens by day and model, and nobody else's", async () => {
    const mine = await gw.seed({ accounts: 1 });
    const other = await gw.seed({ accounts: 1 });
    const chat = (key: string) =>
      openaiFor(gw, key).chat.completions.create({
        model: "gpt-5.5",
        messages: [{ role: "user", content: "hi" }],
      });
    await chat(mine.key);
    await chat(mine.key);
    await chat(other.key);
    gw.fake.enqueue(mine.accounts[0]!.accountId, {
      kind: "response_failed",
      code: "context_length_exceeded",
    });
    await chat(mine.key).catch(() => undefined);
    await gw.requestLogs(mine.keyId, 3);

    const response = await fetch(`${gw.url}/v1/usage`, { headers: { authorization: `Bearer ${mine.key}` } });
    expect(response.status).toBe(200);
    const usage = await response.json();
    expect(usage).toMatchObject({
      object: "page",
      key_id: mine.keyId,
      plan_type: "api_key",
      has_more: false,
      truncated: false,
    });
    expect(usage.data).toHaveLength(31);
    const today = usage.data.at(-1);
    expect(today.start_time).toBe(Math.floor(usage.end_time / 86_400) * 86_400);
    expect(today.results).toEqual([
      {
        object: "usage.result",
        model: "gpt-5.5",
        num_model_requests: 3,
        num_errors: 1,
        input_tokens: 240,
        input_cached_tokens: 128,
        output_tokens: 18,
        output_reasoning_tokens: 0,
        total_tokens: 258,
      },
    ]);
    expect(usage.data.slice(0, -1).every((b: any) => b.results.length === 0)).toBe(true);
  });

  it.each([
    ["bucket_width=1h", "bucket_width"],
    ["start_time=abc", "start_time"],
    ["group_by=project_id", "group_by"],
    ["start_time=0&end_time=5000000", "start_time"],
  ])("validates the query (%s)", async (query, param) => {
    const response = await fetch(`${gw.url}/v1/usage?${query}`, {
      headers: { authorization: `Bearer ${seeded.key}` },
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error.param).toBe(param);
  });
});

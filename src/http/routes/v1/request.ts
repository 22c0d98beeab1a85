// Request helpers shared by the /v1 routes: bounded JSON and multipart bodies, SSE answers, the
// Pool's image switch, and OpenAI-shaped errors for what the core throws.

import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { badRequest, GatewayError } from "../../../core/errors.ts";
import type { Gateway } from "../../../core/gateway.ts";
import { enforceKeyPolicy } from "../../../core/keys/key-policy.ts";
import { isObject, type Json } from "../../../core/openai/common.ts";
import type { TurnPlan } from "../../../core/openai/responses-request.ts";
import { startTurn } from "../../../core/openai/turn.ts";
import { type ChunkSource, sourcedResponse } from "../../../core/relay/chunk-source.ts";
import { UsageLimitError } from "../../../core/routing/router.ts";
import { assertJsonDepth, type BodySource, parseJsonObject, readBody } from "../../body.ts";
import { clientSignal } from "../../request-io.ts";
import type { AppEnv } from "../../types.ts";

/** The /v1 routes translate what they parse (recursively), so nesting is bounded here. */
export async function jsonObject(gw: Gateway, request: BodySource): Promise<Json> {
  const json = parseJsonObject(await readBody(request, gw.ctx.config));
  assertJsonDepth(json);
  return json;
}

/** Multipart is never decompressed and never larger than `limit`; then parsed in memory. */
export async function multipartForm(request: Request, limit: number): Promise<FormData> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data/i.test(type)) {
    throw badRequest("request body must be multipart/form-data");
  }
  const encoding = request.headers.get("content-encoding")?.trim().toLowerCase();
  if (encoding && encoding !== "identity") {
    throw new GatewayError(415, "unsupported_content_encoding", "multipart bodies must not be compressed");
  }
  const bytes = await readBody(request, { maxCompressedBodyBytes: limit, maxBodyBytes: limit });
  try {
    return await new Response(bytes, { headers: { "content-type": type } }).formData();
  } catch {
    throw badRequest("request body is not valid multipart/form-data");
  }
}

/** Bytes of a multipart body for a verbatim relay (bounded, never decompressed). */
export async function multipartBytes(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data/i.test(type)) throw badRequest("request body must be multipart/form-data");
  const encoding = request.headers.get("content-encoding")?.trim().toLowerCase();
  if (encoding && encoding !== "identity") {
    throw new GatewayError(415, "unsupported_content_encoding", "multipart bodies must not be compressed");
  }
  return readBody(request, { maxCompressedBodyBytes: limit, maxBodyBytes: limit });
}

/**
 * The key's policy on a route that names no model (file uploads, Codex's own transcription): an
 * upload spends the account's capacity like a turn, so the rate and token limits apply.
 */
export function admitModelless(gw: Gateway, c: Context<AppEnv>, route: string): Promise<void> {
  return enforceKeyPolicy(gw.ctx, c.get("key"), {
    modelless: true,
    effortParam: "reasoning.effort",
    route,
    startedAt: c.get("startedAt"),
  });
}

export function sseResponse(body: ChunkSource, requestId: string): Response {
  return sourcedResponse(body, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-request-id": requestId,
    },
  });
}

/** The Pool's switch, checked after auth and before the body is read. */
export const imageGate = createMiddleware<AppEnv>(async function imageGate(c, next) {
  if (c.get("pool").allowImageGeneration === false) throw imageGenerationDisabled(c.get("pool").name);
  await next();
});

export function imageGenerationDisabled(pool: string): GatewayError {
  return new GatewayError(
    403,
    "image_generation_disabled",
    `Image generation is disabled for this pool; an operator can enable it with PATCH /admin/v1/pools/${pool} {"allowImageGeneration":true}`,
  );
}

/**
 * The usage-limit answer keeps the Codex shape on /backend-api (Codex reads it); on /v1 it becomes
 * the OpenAI envelope, and `x-should-retry: false` stops SDK retries that could only fail again.
 */
export const openaiErrorShape = createMiddleware<AppEnv>(async function openaiErrorShape(c, next) {
  await next();
  const error = c.error;
  if (!(error instanceof UsageLimitError)) return;
  const body = error.toJSON().error as unknown as Json;
  const resetsAt = isObject(body) && typeof body.resets_at === "number" ? body.resets_at : undefined;
  c.res = new GatewayError(
    429,
    "usage_limit_reached",
    `${error.message}${resetsAt ? `; resets at ${new Date(resetsAt * 1000).toISOString()}` : ""}`,
    { headers: { ...error.headers, "x-should-retry": "false" } },
  ).toResponse();
});

/**
 * Starts a translated /v1 turn through the Codex Responses relay (the chat completions and
 * responses routes): the Pool's image switch, then the turn with the request's key, Pool and signal.
 */
export function startV1Turn(gw: Gateway, c: Context<AppEnv>, route: string, plan: TurnPlan) {
  if (plan.usesImageGeneration && c.get("pool").allowImageGeneration === false) {
    throw imageGenerationDisabled(c.get("pool").name);
  }
  return startTurn(gw, {
    key: c.get("key"),
    pool: c.get("pool"),
    route,
    plan,
    clientHeaders: c.req.raw.headers,
    signal: clientSignal(c),
    startedAt: c.get("startedAt"),
    requestId: c.get("requestId"),
  });
}

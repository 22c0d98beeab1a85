// POST /v1/chat/completions (and its /backend-api/codex/v1 alias) and POST /v1/responses: translate,
// run the turn through the Codex Responses relay, then re-stream it chunk by chunk or collect it.

import type { Context } from "hono";
import { Hono } from "hono";
import type { Gateway } from "../../../core/gateway.ts";
import { chatCompletionFrom } from "../../../core/openai/chat-completion.ts";
import { chatToCodex } from "../../../core/openai/chat-request.ts";
import { chatChunkTranslator } from "../../../core/openai/chat-stream.ts";
import { collectResponse } from "../../../core/openai/collect.ts";
import { failureResponse } from "../../../core/openai/errors.ts";
import { responsesToCodex, type TurnPlan } from "../../../core/openai/responses-request.ts";
import { publicResponsesTranslator } from "../../../core/openai/responses-stream.ts";
import { translated } from "../../../core/openai/sse-events.ts";
import { holdHead, startTurn } from "../../../core/openai/turn.ts";
import { withTurnSlot } from "../../middleware/admission.ts";
import { poolKeyAuth } from "../../middleware/pool-key-auth.ts";
import { bodySource, clientSignal } from "../../request-io.ts";
import type { AppEnv } from "../../types.ts";
import { imageGenerationDisabled, jsonObject, sseResponse } from "./request.ts";

export function turnRoutes(gw: Gateway) {
  const app = new Hono<AppEnv>();

  const run = async (c: Context<AppEnv>, route: string, plan: TurnPlan) => {
    if (plan.usesImageGeneration && c.get("pool").allowImageGeneration === false) {
      throw imageGenerationDisabled(c.get("pool").name);
    }
    const turn = await startTurn(gw, {
      key: c.get("key"),
      pool: c.get("pool"),
      route,
      plan,
      clientHeaders: c.req.raw.headers,
      signal: clientSignal(c),
      startedAt: c.get("startedAt"),
      requestId: c.get("requestId"),
    });
    return turn;
  };

  const chat = (route: string) => async (c: Context<AppEnv>) => {
    const plan = chatToCodex(await jsonObject(gw, bodySource(c)));
    return withTurnSlot(gw, c, plan.stream, () => chatTurn(c, route, plan));
  };
  const chatTurn = async (c: Context<AppEnv>, route: string, plan: ReturnType<typeof chatToCodex>) => {
    const turn = await run(c, route, plan);
    if (turn.kind === "error") return turn.response;
    if (!plan.stream) {
      const collected = await collectResponse(turn.events);
      if (!collected.ok) return failureResponse(collected.failure);
      return c.json(chatCompletionFrom(collected.response, plan.model, gw.ctx.clock.now()));
    }
    const head = await holdHead(turn.events);
    if (head.kind === "error") return head.response;
    const chunks = chatChunkTranslator({
      model: plan.model,
      includeUsage: plan.includeUsage,
      now: () => gw.ctx.clock.now(),
    });
    return sseResponse(translated(head.events, chunks), c.get("requestId"));
  };
  app.post("/v1/chat/completions", chat("/v1/chat/completions"));
  app.post(
    "/backend-api/codex/v1/chat/completions",
    poolKeyAuth(gw),
    chat("/backend-api/codex/v1/chat/completions"),
  );

  app.post("/v1/responses", async (c) => {
    const plan = responsesToCodex(await jsonObject(gw, bodySource(c)));
    return withTurnSlot(gw, c, plan.stream, () => responsesTurn(c, plan));
  });
  const responsesTurn = async (c: Context<AppEnv>, plan: TurnPlan) => {
    const turn = await run(c, "/v1/responses", plan);
    if (turn.kind === "error") return turn.response;
    if (!plan.stream) {
      const collected = await collectResponse(turn.events);
      if (!collected.ok) return failureResponse(collected.failure);
      return c.json(collected.response);
    }
    const head = await holdHead(turn.events);
    if (head.kind === "error") return head.response;
    return sseResponse(translated(head.events, publicResponsesTranslator()), c.get("requestId"));
  };
  return app;
}

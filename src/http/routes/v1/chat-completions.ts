// POST /v1/chat/completions (and its /backend-api/codex/v1 alias): translate to a Codex Responses turn,
// run it through the relay, then re-stream it as chat chunks or collect one completion.
import type { Context } from "hono";
import { Hono } from "hono";
import type { Gateway } from "../../../core/gateway.ts";
import { chatCompletionFrom } from "../../../core/openai/chat-completion.ts";
import { chatToCodex } from "../../../core/openai/chat-request.ts";
import { chatChunkTranslator } from "../../../core/openai/chat-stream.ts";
import { collectResponse } from "../../../core/openai/collect.ts";
import { failureResponse } from "../../../core/openai/errors.ts";
import { translated } from "../../../core/openai/sse-events.ts";
import { holdHead } from "../../../core/openai/turn.ts";
import { withTurnSlot } from "../../middleware/admission.ts";
import { poolKeyAuth } from "../../middleware/pool-key-auth.ts";
import { bodySource } from "../../request-io.ts";
import type { AppEnv } from "../../types.ts";
import { jsonObject, sseResponse, startV1Turn } from "./request.ts";

export function chatCompletionRoutes(gw: Gateway) {
  const app = new Hono<AppEnv>();
  const chat = (route: string) => async (c: Context<AppEnv>) => {
    const plan = chatToCodex(await jsonObject(gw, bodySource(c)));
    return withTurnSlot(gw, c, plan.stream, () => chatTurn(c, route, plan));
  };
  const chatTurn = async (c: Context<AppEnv>, route: string, plan: ReturnType<typeof chatToCodex>) => {
    const turn = await startV1Turn(gw, c, route, plan);
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
  return app;
}

// POST /v1/responses: the public Responses API on a Codex Responses turn through the relay, re-streamed
// as public events or collected into one response.
import type { Context } from "hono";
import { Hono } from "hono";
import type { Gateway } from "../../../core/gateway.ts";
import { collectResponse } from "../../../core/openai/collect.ts";
import { failureResponse } from "../../../core/openai/errors.ts";
import { responsesToCodex, type TurnPlan } from "../../../core/openai/responses-request.ts";
import { publicResponsesTranslator } from "../../../core/openai/responses-stream.ts";
import { translated } from "../../../core/openai/sse-events.ts";
import { holdHead } from "../../../core/openai/turn.ts";
import { withTurnSlot } from "../../middleware/admission.ts";
import { bodySource } from "../../request-io.ts";
import type { AppEnv } from "../../types.ts";
import { jsonObject, sseResponse, startV1Turn } from "./request.ts";

export function responsesRoutes(gw: Gateway) {
  const app = new Hono<AppEnv>();
  const responsesTurn = async (c: Context<AppEnv>, plan: TurnPlan) => {
    const turn = await startV1Turn(gw, c, "/v1/responses", plan);
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
  app.post("/v1/responses", async (c) => {
    const plan = responsesToCodex(await jsonObject(gw, bodySource(c)));
    return withTurnSlot(gw, c, plan.stream, () => responsesTurn(c, plan));
  });
  return app;
}

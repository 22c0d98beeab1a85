// POST /v1/audio/transcriptions (OpenAI multipart, translated) and POST /backend-api/transcribe
// (relayed as is). Auth runs before the multipart body is read.
import { Hono } from "hono";
import type { Gateway } from "../../../core/gateway.ts";
import { enforceKeyPolicy } from "../../../core/keys/key-policy.ts";
import { transcriptionForm, transcriptionResult } from "../../../core/openai/audio.ts";
import { gatewayErrorFrom } from "../../../core/openai/errors.ts";
import { poolKeyAuth } from "../../middleware/pool-key-auth.ts";
import type { AppEnv } from "../../types.ts";
import { bridge, relayAnswer, sdkHeaders } from "./bridge.ts";
import { admitModelless, multipartBytes, multipartForm } from "./request.ts";

/** The original's transcription upload cap (26 214 400 bytes), plus room for the other fields. */
export const TRANSCRIPTION_MAX_BYTES = 25 * 1024 * 1024;
const MULTIPART_OVERHEAD = 1024 * 1024;

export function audioRoutes(gw: Gateway) {
  const app = new Hono<AppEnv>();
  app.post("/v1/audio/transcriptions", async (c) => {
    const form = await multipartForm(c.req.raw, TRANSCRIPTION_MAX_BYTES + MULTIPART_OVERHEAD);
    const transcription = transcriptionForm(form, TRANSCRIPTION_MAX_BYTES);
    // The key's allow-list sees the model the client named (e.g. whisper-1), as it would elsewhere.
    await enforceKeyPolicy(gw.ctx, c.get("key"), {
      model: String(form.get("model")),
      effortParam: "reasoning.effort",
      route: "/v1/audio/transcriptions",
      startedAt: c.get("startedAt"),
    });
    const result = await bridge(gw, c, "/v1/audio/transcriptions", {
      path: "/transcribe",
      body: () => transcription.upstream,
      model: transcription.model,
      clientHeaders: sdkHeaders(c.req.raw.headers),
    });
    if (result.status < 200 || result.status > 299) throw gatewayErrorFrom(result.status, result.json);
    const answer = transcriptionResult(result.json);
    if (!answer)
      throw gatewayErrorFrom(502, {
        error: { code: "upstream_bad_response", message: "the upstream transcription answer had no text" },
      });
    if (transcription.responseFormat === "text") return c.text(`${answer.text}\n`);
    return c.json(answer);
  });

  app.post("/backend-api/transcribe", poolKeyAuth(gw), async (c) => {
    const bytes = await multipartBytes(c.req.raw, TRANSCRIPTION_MAX_BYTES + MULTIPART_OVERHEAD);
    await admitModelless(gw, c, "/backend-api/transcribe");
    const result = await bridge(gw, c, "/backend-api/transcribe", {
      path: "/transcribe",
      body: () => bytes,
      contentType: c.req.header("content-type"),
      clientHeaders: c.req.raw.headers,
    });
    return relayAnswer(result);
  });
  return app;
}

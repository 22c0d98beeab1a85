// Codex Responses events → the public /v1/responses SSE (codex-pooler-features §2.8): `response.done`
// becomes `response.completed`, sequence numbers are renumbered, Codex-internal events are dropped,
// failures are rebuilt from named fields only, and an interrupted stream ends with the original's
// synthetic `error` event (flat and nested fields, so every SDK reads it) rather than a silent cut.
import { isObject, type Json } from "./common.ts";
import { publicFailure } from "./errors.ts";
import { type EventTranslator, SSE_KEEPALIVE, sseEvent } from "./sse-events.ts";
import { failureOf } from "./turn.ts";

const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed", "error"]);

export function publicResponsesTranslator(): EventTranslator {
  let sequence = 0;
  let finished = false;
  let responseId: string | undefined;

  const errorEvent = (code: string, message: string, type: string) => ({
    type: "error",
    sequence_number: sequence++,
    code,
    message,
    param: null,
    error: { type, code, message, param: null },
  });

  return {
    transform(event, controller) {
      if (finished) return;
      if (event.type === "codex.keepalive") {
        controller.enqueue(SSE_KEEPALIVE);
        return;
      }
      if (event.type.startsWith("codex.")) return;
      let type = event.type === "response.done" ? "response.completed" : event.type;
      let data: Json = { ...event.data, type };
      if (isObject(data.response) && typeof data.response.id === "string") responseId ??= data.response.id;
      const failure = failureOf(event);
      if (failure) {
        const code = failure.body.error.code;
        const upstreamError = isObject(event.data.response) ? event.data.response.error : undefined;
        // The relay's own `stream_interrupted` marks a cut, not an upstream answer.
        const interrupted = isObject(upstreamError) && upstreamError.code === "stream_interrupted";
        if (event.type === "response.failed" && !interrupted) {
          data = failedEvent(event.data, code, failure.body.error.message, responseId);
        } else {
          type = "error";
          data = errorEvent(code, failure.body.error.message, failure.body.error.type);
        }
      }
      if (TERMINAL.has(type)) finished = true;
      if (type !== "error") data.sequence_number = sequence++;
      controller.enqueue(sseEvent(type, data));
    },
    flush(controller) {
      if (finished) return;
      const failure = publicFailure("stream_interrupted", undefined).body.error;
      controller.enqueue(sseEvent("error", errorEvent(failure.code, failure.message, failure.type)));
    },
  };
}

/** Only named fields survive; the id only when it looks like one of ours. */
function failedEvent(raw: Json, code: string, message: string, responseId?: string): Json {
  const response = isObject(raw.response) ? raw.response : {};
  const id =
    typeof response.id === "string" && /^resp_[A-Za-z0-9_-]{1,200}$/.test(response.id)
      ? response.id
      : responseId;
  return {
    type: "response.failed",
    response: {
      id: id && /^resp_/.test(id) ? id : "resp_failed",
      object: "response",
      created_at: typeof response.created_at === "number" ? response.created_at : undefined,
      status: "failed",
      model: typeof response.model === "string" ? response.model : undefined,
      output: [],
      error: { code, message },
      usage: isObject(response.usage) ? response.usage : null,
    },
  };
}

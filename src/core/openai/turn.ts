// One /v1 turn over the Codex Responses relay: file pins, the relay call (which plans accounts,
// fails over before the first byte and logs the request), then the relay's SSE as parsed events.
// Streaming clients get their status only after the first decisive event, so a turn that fails at
// once is an HTTP error rather than a 200 stream holding one error.

import type { ClientHeaders } from "../access/firewall.ts";
import type { Gateway } from "../gateway.ts";
import { enforceKeyPolicy } from "../keys/key-policy.ts";
import type { Credential, Pool } from "../model.ts";
import { fileAnchors, fileUnavailable } from "../pools/files.ts";
import { anchorsFrom, relayResponses, takeRelayEvents } from "../relay/responses.ts";
import { utf8Bytes } from "../support/utf8-stream.ts";
import { failureResponse, openaiErrorFrom, type PublicError, publicFailure } from "./errors.ts";
import type { TurnPlan } from "./responses-request.ts";
import { type EventReader, OVERSIZE, resume, type UpstreamEvent } from "./sse-events.ts";

/** The original's cap on a collected non-stream answer (one SSE block: `maxUpstreamEventBytes`). */
export const MAX_COLLECTED_BYTES = 64 * 1024 * 1024;

export interface TurnRequest {
  key: Credential;
  pool: Pool;
  route: string;
  plan: TurnPlan;
  clientHeaders: Headers;
  signal: AbortSignal;
  startedAt: number;
  requestId: string;
}

export type TurnStart = { kind: "error"; response: Response } | { kind: "events"; events: EventReader };

/** Client fingerprints stay here: the relay sends its own Codex identity upstream. */
const LOCAL_HEADERS = new Set(["user-agent", "originator", "version"]);

/** The client's headers as the relay reads them, less the fingerprints (a view, not a copy). */
const withoutLocal = (headers: Headers): ClientHeaders => ({
  get: (name) => (LOCAL_HEADERS.has(name.toLowerCase()) ? null : headers.get(name)),
});

export async function startTurn(gw: Gateway, req: TurnRequest): Promise<TurnStart> {
  const upstream = req.plan.upstream;
  const transport = req.plan.stream ? "http_sse" : "http_json";
  // The key's model list, effort ceiling and limits, as on the backend route (a denial is logged).
  await enforceKeyPolicy(gw.ctx, req.key, {
    model: req.plan.model,
    reasoningEffort: req.plan.effort?.value,
    effortParam: req.plan.effort?.param ?? "reasoning.effort",
    route: req.route,
    transport,
    startedAt: req.startedAt,
  });
  const fileId = req.plan.fileIds[0];
  const anchors = await fileAnchors(
    gw,
    req.pool.name,
    req.plan.fileIds,
    anchorsFrom(req.clientHeaders, upstream),
  );
  const clientHeaders = withoutLocal(req.clientHeaders);
  let response: Response;
  try {
    response = await relayResponses(gw, {
      key: req.key,
      pool: req.pool,
      route: req.route,
      transport,
      body: upstreamBytes(upstream),
      model: req.plan.model,
      anchors,
      clientHeaders,
      signal: req.signal,
      startedAt: req.startedAt,
      requestId: req.requestId,
      // One SSE parse: the relay's own, for its accounting and the translators.
      events: { maxTotalBytes: req.plan.stream ? undefined : MAX_COLLECTED_BYTES },
    });
  } catch (error) {
    throw fileId && anchors.previousResponseId === fileId ? fileUnavailable(error, fileId) : error;
  }
  const events = response.ok ? takeRelayEvents(response) : undefined;
  if (!events) return { kind: "error", response: await openaiErrorFrom(response) };
  return { kind: "events", events };
}

/** The translated request as the upstream gets it. */
export const upstreamBytes = (upstream: TurnPlan["upstream"]) => utf8Bytes(JSON.stringify(upstream));

/** Events that come before anything a client would see; holding them costs nothing. */
const PRE_CONTENT = new Set([
  "response.created",
  "response.in_progress",
  "response.queued",
  "codex.rate_limits",
  "codex.response.metadata",
]);

export type HeadResult = { kind: "error"; response: Response } | { kind: "stream"; events: EventReader };

/** Waits for the first decisive event: a failure there becomes an HTTP error with its status. */
export async function holdHead(reader: EventReader): Promise<HeadResult> {
  const held: UpstreamEvent[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done)
      return { kind: "error", response: failureResponse(publicFailure("stream_interrupted", undefined)) };
    const failure = failureOf(value);
    if (failure) {
      await drain(reader);
      return { kind: "error", response: failureResponse(failure) };
    }
    held.push(value);
    if (!PRE_CONTENT.has(value.type)) return { kind: "stream", events: resume(held, reader) };
  }
}

/** A terminal failure event as the client may see it; undefined for any other event. */
export function failureOf(event: UpstreamEvent): PublicError | undefined {
  if (event.type === OVERSIZE) {
    return {
      status: 502,
      body: {
        error: {
          message: "the upstream answer exceeded the gateway's size limit",
          type: "server_error",
          code: "upstream_response_too_large",
          param: null,
        },
      },
    };
  }
  if (event.type === "response.failed") {
    const response = (event.data.response ?? {}) as { error?: { code?: unknown; message?: unknown } };
    return publicFailure(response.error?.code, response.error?.message);
  }
  if (event.type === "error") {
    const data = event.data as {
      code?: unknown;
      message?: unknown;
      error?: { code?: unknown; message?: unknown };
    };
    return publicFailure(data.code ?? data.error?.code, data.message ?? data.error?.message);
  }
  return undefined;
}

/**
 * Reads what is left after a terminal event so the relay finishes (and logs) the turn as it ended
 * rather than as a client disconnect. The upstream closes right after a terminal; bounded anyway.
 */
export async function drain(reader: EventReader): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const { done } = await reader.read().catch(() => ({ done: true }));
    if (done) return;
  }
  await reader.cancel().catch(() => undefined);
}

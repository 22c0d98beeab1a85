// The worker side of the push-style Responses WebSocket (routes.ts): one `response.create`
// becomes one upstream HTTP SSE turn through the same relay as POST (accounts, failover, quota,
// request log), and each upstream event is posted back to the client as one message, in order,
// for as long as the turn takes. A client that left (the front answers "gone") cancels the relay,
// which aborts the upstream call. A turn holds a slot of its Pool's cap (pools/pool-slots.ts) like an
// HTTP turn, and the connection's turn claim; both are given back however the turn ends.
import { createParser } from "eventsource-parser";
import type { Lease } from "../../access/admission.ts";
import { GatewayError } from "../../errors.ts";
import type { Gateway } from "../../gateway.ts";
import { takePoolSlot } from "../../pools/pool-slots.ts";
import { anchorsFrom, relayResponses } from "../responses.ts";
import { failedResponse, RelayStop } from "../sse-relay.ts";
import type {
  ConnectionSender,
  PostOutcome,
  TurnJob,
  WebSocketApiLimits,
  WebSocketConnectionRepository,
} from "./connections.ts";
import { type Frame, gatewayErrorFrame, parseFrame, responseAsErrorFrame } from "./protocol.ts";
import { WEBSOCKET_API_ROUTE } from "./routes.ts";

export interface TurnWorker {
  gw: Gateway;
  connections: WebSocketConnectionRepository;
  sender: ConnectionSender;
  limits: WebSocketApiLimits;
}

/** Client frame fields that only mean something on a socket, or that the HTTP turn sets itself. */
const SOCKET_ONLY = new Set(["type", "generate", "previous_response_id", "stream", "store", "background"]);

/** The upstream HTTP body for a `response.create` frame: its request fields, streamed, not stored. */
export function turnBody(frame: Frame): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(frame)) if (!SOCKET_ONLY.has(name)) body[name] = value;
  return { ...body, stream: true, store: false };
}

/**
 * Runs one turn; `deadline` aborts shortly before the worker's own time limit, ending the turn with
 * a terminal `response.failed` rather than silence. Never throws: a refusal reaches the client as a
 * wrapped error frame, any failure (the store, the management API, a bug) as a terminal
 * `response.failed`; the Pool slot and the turn claim are given back either way.
 */
export async function runTurn(worker: TurnWorker, job: TurnJob, deadline: AbortSignal): Promise<void> {
  const { gw, connections } = worker;
  const { ctx } = gw;
  const out = new Outbox(worker, job.connectionId);
  let slot: Lease | undefined;
  try {
    const connection = await connections.get(job.connectionId);
    // The client left, or this claim lapsed and another turn took the connection.
    if (connection?.turnId !== job.turnId) return;
    const [key, pool] = await Promise.all([
      ctx.store.credentials.get("pool_key", connection.keyId),
      gw.pools.get(connection.pool),
    ]);
    if (key?.status !== "active" || !pool) {
      await out.post(
        gatewayErrorFrame(
          new GatewayError(401, "api_key_disabled", "api key or its pool is no longer active"),
        ),
      );
      return;
    }
    // The optional per-Pool cap across instances, as for an HTTP turn (over it: the wrapped 503).
    slot = await takePoolSlot(gw, pool.name);
    const frame = parseFrame(job.frame) ?? {};
    const body = turnBody(frame);
    const headers = new Headers(connection.headers);
    const abort = new AbortController();
    const onDeadline = () => abort.abort();
    deadline.addEventListener("abort", onDeadline, { once: true });
    try {
      const response = await relayResponses(gw, {
        key,
        pool,
        route: WEBSOCKET_API_ROUTE,
        method: "GET",
        transport: "websocket",
        body: new TextEncoder().encode(JSON.stringify(body)),
        model: typeof body.model === "string" ? body.model : undefined,
        anchors: anchorsFrom(headers, body),
        clientHeaders: headers,
        signal: abort.signal,
        startedAt: job.receivedAt,
        requestId: job.requestId,
      });
      const streamed = response.headers.get("content-type")?.startsWith("text/event-stream");
      if (!response.ok || !response.body || !streamed) {
        await out.post(await responseAsErrorFrame(response));
        return;
      }
      await relayEvents(out, response.body, deadline, worker.limits.maxMessageBytes);
    } finally {
      deadline.removeEventListener("abort", onDeadline);
    }
  } catch (error) {
    if (error instanceof GatewayError && out.responseId === undefined) {
      // The gateway's own refusal before the turn began (the Pool's cap, …): the wrapped error frame.
      await out.post(gatewayErrorFrame(error)).catch(() => undefined);
    } else {
      ctx.logger.error("websocket turn failed", { route: WEBSOCKET_API_ROUTE, error: errorName(error) });
      await out
        .fail("internal_error", "the gateway could not finish this turn; send the request again")
        .catch(() => undefined);
    }
  } finally {
    slot?.release();
    await connections.releaseTurn(job.connectionId, job.turnId).catch((error: unknown) => {
      ctx.logger.warn("websocket turn claim not released", { error: (error as Error).name });
    });
  }
}

/** Posts to one client, in order; remembers when it has gone, the turn's response id and its end. */
class Outbox {
  gone = false;
  responseId?: string;
  /** A terminal event reached the client: nothing more may follow for this turn. */
  terminal = false;
  constructor(
    private readonly worker: TurnWorker,
    private readonly connectionId: string,
  ) {}

  async post(text: string): Promise<PostOutcome> {
    if (this.gone) return "gone";
    const outcome = await this.worker.sender.post(this.connectionId, text);
    if (outcome === "gone") this.gone = true;
    return outcome;
  }

  /** Ends the turn with a terminal `response.failed` (the SSE relay's), unless it has already ended. */
  async fail(code: string, message: string): Promise<void> {
    if (this.terminal) return;
    this.terminal = true;
    await this.post(JSON.stringify(failedResponse(code, message, this.responseId)));
  }
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : "unknown");

/**
 * Upstream SSE events → one message each. Reading waits for each post (backpressure: the relay
 * reads the upstream only as fast as the front accepts messages).
 */
async function relayEvents(
  out: Outbox,
  body: ReadableStream<Uint8Array>,
  deadline: AbortSignal,
  maxMessageBytes: number,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: string[] = [];
  const parser = createParser({
    onEvent(message) {
      if (message.data.startsWith("{")) events.push(message.data); // not `[DONE]` or comments
    },
  });
  const deadlineHit = new Promise<"deadline">((resolve) => {
    if (deadline.aborted) resolve("deadline");
    deadline.addEventListener("abort", () => resolve("deadline"), { once: true });
  });
  const stop = async (failure?: { code: string; message: string }) => {
    // Cancelling the relay's stream aborts the upstream call and logs the turn: as the client's
    // leaving without a failure, else with the failure's code.
    await reader.cancel(failure ? new RelayStop(failure.code) : undefined).catch(() => undefined);
    if (failure) await out.fail(failure.code, failure.message);
  };

  let failed = false;
  try {
    await pump();
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // However the relay ended (a post that threw included), the upstream call does not outlive it;
    // a throw here is the gateway's failure (runTurn tells the client), not the client leaving.
    await reader.cancel(failed ? new RelayStop("internal_error") : undefined).catch(() => undefined);
  }

  async function pump(): Promise<void> {
    for (;;) {
      const next = await Promise.race([reader.read(), deadlineHit]);
      if (next === "deadline") {
        return stop({
          code: "turn_time_limit",
          message:
            "this turn reached the gateway's 15-minute limit per turn on AWS Lambda; continue in a new turn",
        });
      }
      if (next.done) return;
      parser.feed(decoder.decode(next.value, { stream: true }));
      while (events.length > 0) {
        let data = events.shift() as string;
        const event = parseFrame(data);
        const type = typeof event?.type === "string" ? event.type : "";
        const response = event?.response as Frame | undefined;
        if (typeof response?.id === "string") out.responseId ??= response.id;
        if (Buffer.byteLength(data) > maxMessageBytes) {
          const slim = event && slimmed(event);
          if (!slim || Buffer.byteLength(slim) > maxMessageBytes) {
            return stop({
              code: "event_too_large",
              message: `an upstream event was larger than the WebSocket front's ${Math.round(maxMessageBytes / 1024)} KB message limit; send this request over HTTP POST`,
            });
          }
          data = slim;
        }
        const outcome = await out.post(data);
        if (outcome === "gone") return stop();
        if (outcome === "too_large") {
          return stop({
            code: "event_too_large",
            message: "an upstream event was too large for the WebSocket front",
          });
        }
        if (TERMINAL.has(type)) out.terminal = true;
      }
    }
  }
}

const TERMINAL = new Set(["response.completed", "response.done", "response.failed", "response.incomplete"]);

/**
 * A `response.*` event without the copies it repeats (`output`, `instructions`, `tools`): clients
 * build the output from the `output_item.done` events already sent. Undefined for other events.
 */
function slimmed(event: Frame): string | undefined {
  const response = event.response as Frame | undefined;
  if (!response || typeof response !== "object") return undefined;
  const { output: _output, instructions: _instructions, tools: _tools, ...rest } = response;
  return JSON.stringify({ ...event, response: { ...rest, output: [] } });
}

// The fake upstream's Responses-over-WebSocket endpoint (codex-protocol.md §5, §9.4): the same
// bearer/account auth as HTTP (401 before the upgrade), the `openai-beta: responses_websockets=…`
// token required, and `response.create` frames answered with the golden events as bare JSON text
// frames. Each connection keeps response id → accumulated items, so `previous_response_id` works
// and an unknown id gets the wrapped `previous_response_not_found` error.
import { type IncomingMessage, type Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { type WebSocket, WebSocketServer } from "ws";
import { randomHex } from "./jwt.ts";
import {
  createdEvent,
  droppedTurnEvents,
  type ResponseMeta,
  responseFailedEvent,
  type SseEvent,
  textTurnEvents,
  toolCallTurnEvents,
} from "./sse.ts";
import type { Behavior, FakeWebSocketSession } from "./types.ts";

type Json = Record<string, unknown>;

/** What the WebSocket endpoint needs from an account of the fake (structurally, server.ts's state). */
export interface WsAccount {
  accountId: string;
  planType: string;
  secondaryUsed: number;
  queue: Behavior[];
  defaultBehavior?: Behavior;
}

export interface WsDeps {
  /** server.ts's HTTP auth check; answers 401 on `res` and returns undefined when it fails. */
  authenticate(req: IncomingMessage, res: ServerResponse): WsAccount | undefined;
  autoBehavior(body: Json): Behavior;
  nextResponseNumber(): number;
  rateLimitHeaders(account: WsAccount): Record<string, string>;
  modelsEtag: string;
  defaultText: string;
}

const PATH = "/backend-api/codex/responses";
const BETA_TOKEN = /(^|,)\s*responses_websockets=/;
const ERROR_KINDS = new Set<Behavior["kind"]>([
  "usage_limit_429",
  "rate_limit_429",
  "overloaded_503",
  "server_error_500",
  "unauthorized_401",
]);

const nowSec = () => Math.floor(Date.now() / 1000);

/** `{"type":"error","status_code":…,"error":{…},"headers":{…}}`, as the upstream wraps HTTP errors. */
function wrappedError(status: number, error: Json, headers: Record<string, string> = {}): Json {
  return { type: "error", status_code: status, error, headers };
}

function errorFrame(behavior: Behavior, account: WsAccount): Json {
  const now = nowSec();
  switch (behavior.kind) {
    case "usage_limit_429": {
      const resetsIn = behavior.resetsInSeconds ?? 1800;
      return wrappedError(
        429,
        {
          type: "usage_limit_reached",
          message: "The usage limit has been reached",
          plan_type: account.planType,
          resets_at: now + resetsIn,
          resets_in_seconds: resetsIn,
        },
        {
          "x-codex-primary-used-percent": "100.0",
          "x-codex-primary-window-minutes": "300",
          "x-codex-primary-reset-at": String(now + resetsIn),
          "x-codex-primary-reset-after-seconds": String(resetsIn),
          "x-codex-secondary-used-percent": String(account.secondaryUsed),
          "x-codex-secondary-window-minutes": "10080",
          "x-codex-active-limit": "codex",
          "x-codex-rate-limit-reached-type": "rate_limit_reached",
        },
      );
    }
    case "rate_limit_429":
      return wrappedError(
        429,
        {
          type: "rate_limit_error",
          code: "rate_limit_exceeded",
          message: "Rate limit reached. Please try again in 2s.",
        },
        { "retry-after": "2" },
      );
    case "overloaded_503":
      return wrappedError(503, {
        code: "server_is_overloaded",
        message: "Our servers are currently overloaded. Please try again later.",
      });
    case "unauthorized_401":
      return wrappedError(401, {
        code: behavior.code ?? "token_expired",
        message: "Provided authentication token is expired. Please try signing in again.",
        type: "invalid_request_error",
      });
    default:
      return wrappedError(500, {
        type: "server_error",
        code: "server_error",
        message: "An error occurred while processing your request.",
      });
  }
}

function badRequest(message: string, param: string | null = null, code = "invalid_request"): Json {
  return wrappedError(400, { type: "invalid_request_error", code, message, param });
}

export interface FakeWebSocketEndpoint {
  sessions: FakeWebSocketSession[];
  /** Kills every open upstream socket of the account (as a network drop would); returns how many. */
  drop(accountId: string): number;
  close(): void;
}

export function attachWebSocketUpstream(server: Server, deps: WsDeps): FakeWebSocketEndpoint {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: true });
  const sessions: FakeWebSocketSession[] = [];
  const open = new Map<WebSocket, FakeWebSocketSession>();
  const handshakeHeaders = new WeakMap<IncomingMessage, Record<string, string>>();

  wss.on("headers", (lines, req) => {
    for (const [name, value] of Object.entries(handshakeHeaders.get(req) ?? {}))
      lines.push(`${name}: ${value}`);
  });

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => undefined);
    const reject = (status: number, body: Json) => {
      const text = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${status} Error\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
      );
    };
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method !== "GET" || url.pathname !== PATH) {
      reject(404, { error: { message: `No WebSocket route for ${url.pathname}`, code: "not_found" } });
      return;
    }
    // Reuse the HTTP auth check: it answers 401 through a response bound to the raw socket.
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as never);
    const account = deps.authenticate(req, res);
    if (!account) {
      res.on("finish", () => socket.end());
      return;
    }
    res.detachSocket(socket as never);
    const beta = String(req.headers["openai-beta"] ?? "");
    if (!BETA_TOKEN.test(beta) || beta.includes("responses=experimental")) {
      reject(400, {
        detail:
          "WebSocket requests need openai-beta: responses_websockets=2026-02-06 (and not responses=experimental)",
      });
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    const turnState = headers["x-codex-turn-state"];
    handshakeHeaders.set(req, {
      ...deps.rateLimitHeaders(account),
      "x-models-etag": deps.modelsEtag,
      "x-reasoning-included": "true",
      "x-codex-turn-state": turnState ?? `ts_${randomHex(8)}`,
    });
    wss.handleUpgrade(req, socket, head, (ws) => {
      const record: FakeWebSocketSession = {
        accountId: account.accountId,
        path: url.pathname,
        headers,
        requests: [],
        frames: 0,
        open: true,
      };
      sessions.push(record);
      open.set(ws, record);
      ws.on("close", (code) => {
        record.open = false;
        record.closeCode = code;
        open.delete(ws);
      });
      serveConnection(ws, account, record, deps);
    });
  });

  return {
    sessions,
    drop(accountId) {
      let dropped = 0;
      for (const [ws, record] of open) {
        if (record.accountId !== accountId) continue;
        ws.terminate();
        dropped++;
      }
      return dropped;
    },
    close() {
      for (const ws of open.keys()) ws.terminate();
      wss.close();
    },
  };
}

function serveConnection(ws: WebSocket, account: WsAccount, record: FakeWebSocketSession, deps: WsDeps) {
  /** Response id → every item of the conversation so far (input and output), per connection. */
  const history = new Map<string, unknown[]>();
  const send = (event: Json) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
  };
  // Turns are answered one after another, in arrival order.
  let chain = Promise.resolve();
  ws.on("message", (data, isBinary) => {
    record.frames++;
    chain = chain
      .then(() => answer(isBinary ? undefined : data.toString()))
      .catch((error: unknown) => {
        send(wrappedError(500, { code: "server_error", message: `fake upstream crashed: ${String(error)}` }));
      });
  });

  async function answer(text: string | undefined): Promise<void> {
    let frame: Json;
    try {
      frame = JSON.parse(text ?? "") as Json;
    } catch {
      send(badRequest("frames must be JSON text"));
      return;
    }
    if (typeof frame !== "object" || frame === null || Array.isArray(frame)) {
      send(badRequest("frames must be JSON objects"));
      return;
    }
    if (frame.type === "response.interrupt") return;
    if (frame.type !== "response.create") {
      send(badRequest(`unsupported frame type ${String(frame.type)}`, "type"));
      return;
    }
    record.requests.push(frame);
    if (typeof frame.model !== "string" || frame.model === "") {
      send(badRequest("Model is required", "model"));
      return;
    }
    if (frame.store === true) {
      send(badRequest("Store must be set to false", "store"));
      return;
    }
    const input = Array.isArray(frame.input)
      ? frame.input
      : typeof frame.input === "string"
        ? [{ type: "message", role: "user", content: [{ type: "input_text", text: frame.input }] }]
        : [];
    let items: unknown[] = input;
    const previous = frame.previous_response_id;
    if (typeof previous === "string") {
      const earlier = history.get(previous);
      if (!earlier) {
        send(
          wrappedError(400, {
            type: "invalid_request_error",
            code: "previous_response_not_found",
            message: `Previous response with id '${previous}' not found.`,
            param: "previous_response_id",
          }),
        );
        return;
      }
      items = [...earlier, ...input];
    }

    const n = deps.nextResponseNumber();
    const meta: ResponseMeta = { responseId: `resp_${n}`, model: frame.model, createdAt: nowSec() };
    // An account that is out stays out: the warm-up gets its default error too.
    if (frame.generate === false) {
      const fallback = account.defaultBehavior;
      if (fallback && ERROR_KINDS.has(fallback.kind)) {
        send(errorFrame(fallback, account));
        return;
      }
      send({ type: "response.created", response: { id: meta.responseId } });
      send({
        type: "response.completed",
        response: {
          id: meta.responseId,
          output: [],
          usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
        },
      });
      history.set(meta.responseId, items);
      return;
    }

    const behavior = account.queue.shift() ?? account.defaultBehavior ?? deps.autoBehavior({ input: items });
    if (ERROR_KINDS.has(behavior.kind)) {
      send(errorFrame(behavior, account));
      return;
    }
    send(rateLimitsEvent(account, deps));
    let events: SseEvent[];
    let delayMs: number | undefined;
    switch (behavior.kind) {
      case "text":
        events = textTurnEvents(meta, `msg_${n}`, behavior.text ?? deps.defaultText);
        delayMs = behavior.delayMsBetweenEvents;
        break;
      case "tool_call":
        events = toolCallTurnEvents(
          meta,
          {
            reasoningId: `rs_${n}`,
            callItemId: `fc_${n}`,
            callId: `call_${n}`,
            encryptedContent: `gAAAAB${Buffer.from(JSON.stringify({ acct: account.accountId, n })).toString("base64url")}`,
          },
          behavior.command ?? "echo hi",
        );
        break;
      case "drop_mid_stream":
        for (const event of droppedTurnEvents(meta, `msg_${n}`)) send(event);
        // Cut once the partial output is on the wire (compression makes sends asynchronous).
        await new Promise<void>((resolve) =>
          ws.send(JSON.stringify({ type: "codex.keepalive" }), () => resolve()),
        );
        ws.terminate();
        return;
      case "reset_connection":
        ws.terminate();
        return;
      case "response_failed":
        events = [responseFailedEvent(meta, behavior.code, behavior.message)];
        break;
      case "stall":
        send(createdEvent(meta));
        return; // nothing more on this turn
      default:
        events = [];
    }
    for (const [i, event] of events.entries()) {
      if (i > 0 && delayMs) await sleep(delayMs);
      send(event);
    }
    const completed = events.at(-1) as { type: string; response?: { output?: unknown[] } } | undefined;
    if (completed?.type === "response.completed") {
      history.set(meta.responseId, [...items, ...(completed.response?.output ?? [])]);
    }
  }
}

/** §4.4: the WS transport sends a rate-limit snapshot ahead of a turn's output. */
function rateLimitsEvent(account: WsAccount, deps: WsDeps): Json {
  const headers = deps.rateLimitHeaders(account);
  const window = (name: string) => ({
    used_percent: Number(headers[`x-codex-${name}-used-percent`]),
    window_minutes: Number(headers[`x-codex-${name}-window-minutes`]),
    reset_at: Number(headers[`x-codex-${name}-reset-at`]),
  });
  return {
    type: "codex.rate_limits",
    plan_type: account.planType,
    rate_limits: {
      allowed: true,
      limit_reached: false,
      primary: window("primary"),
      secondary: window("secondary"),
    },
    credits: { has_credits: false, unlimited: false, balance: "0" },
    metered_limit_name: "codex",
    limit_name: null,
  };
}

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from "node:zlib";
import { decompress as zstdDecompress } from "fzstd";
import { createExtraRoutes } from "./extra-routes.ts";
import { isFault, runFault } from "./faults.ts";
import { makeAccessToken, makeIdToken, makeRefreshToken, randomHex, type TokenIdentity } from "./jwt.ts";
import { modelsBody } from "./models.ts";
import { createOAuthRoutes } from "./oauth-routes.ts";
import {
  createdEvent,
  droppedTurnEvents,
  formatSse,
  type ResponseMeta,
  responseFailedEvent,
  type SseEvent,
  textTurnEvents,
  toolCallTurnEvents,
} from "./sse.ts";
import type {
  Behavior,
  FakeAccount,
  FakeAccountOptions,
  FakeUpstream,
  RecordedRequest,
  UsageSettings,
} from "./types.ts";
import { attachWebSocketUpstream } from "./websocket.ts";

const DEFAULT_TEXT = "Hello from fake upstream.";
const MODELS_ETAG = '"W/fake-1"';
const PRIMARY_WINDOW_MIN = 300;
const SECONDARY_WINDOW_MIN = 10080;
const PRIMARY_RESET_S = 3600;
const SECONDARY_RESET_S = 86400;

interface AccountState extends TokenIdentity {
  ttl: number;
  accessToken: string;
  accessExp: number;
  accessRevoked: boolean;
  refreshToken: string;
  refreshes: number;
  queue: Behavior[];
  defaultBehavior?: Behavior;
  primaryUsed: number;
  secondaryUsed: number;
  /** Set by failRefresh: the token endpoint answers this status for the account's refresh token. */
  refreshFailureStatus?: number;
  /** Set by failUnary: files, transcription, images and compaction answer this status. */
  unaryFailureStatus?: number;
}

type Json = Record<string, unknown>;

const nowSec = (): number => Math.floor(Date.now() / 1000);

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

const TOKEN_EXPIRED_BODY = {
  error: {
    code: "token_expired",
    message: "Provided authentication token is expired. Please try signing in again.",
    type: "invalid_request_error",
  },
};

const INVALID_API_KEY_BODY = {
  error: {
    code: "invalid_api_key",
    message:
      "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
    type: "invalid_request_error",
    param: null,
  },
};

function refreshError(code: string, message: string) {
  return { error: { message, type: "invalid_request_error", param: null, code } };
}

/** Undo content-encoding (applied in order, so decode in reverse). Codex sends zstd in ChatGPT mode (§2.2). */
function decodeBody(raw: Buffer, encodingHeader: string | undefined): Buffer {
  if (!encodingHeader) return raw;
  const encodings = encodingHeader
    .split(",")
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== "" && e !== "identity");
  let data = raw;
  for (const enc of encodings.reverse()) {
    if (enc === "zstd") data = Buffer.from(zstdDecompress(new Uint8Array(data)));
    else if (enc === "gzip" || enc === "x-gzip") data = gunzipSync(data);
    else if (enc === "br") data = brotliDecompressSync(data);
    else if (enc === "deflate") {
      try {
        data = inflateSync(data);
      } catch {
        data = inflateRawSync(data); // some clients send raw deflate without the zlib wrapper
      }
    } else throw new Error(`unsupported content-encoding: ${enc}`);
  }
  return data;
}

function parseBody(data: Buffer, contentType: string | undefined): unknown {
  if (data.length === 0) return undefined;
  const text = data.toString("utf8");
  if (contentType?.includes("application/x-www-form-urlencoded")) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  if (contentType?.includes("json") || /^\s*[[{]/.test(text)) return JSON.parse(text);
  return text;
}

function messageText(item: Json): string {
  const content = item.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((c) => (typeof c === "object" && c !== null && typeof c.text === "string" ? c.text : ""))
    .join("\n");
}

/**
 * Default turn choice, scanning the latest exchange from the end: a tool result answers with text,
 * a user message containing RUN_TOOL asks for a tool call, an assistant message ends the scan.
 */
function autoBehavior(body: Json): Behavior {
  const input = body.input;
  if (typeof input === "string") return input.includes("RUN_TOOL") ? { kind: "tool_call" } : { kind: "text" };
  if (!Array.isArray(input)) return { kind: "text" };
  for (let i = input.length - 1; i >= 0; i--) {
    const item: unknown = input[i];
    if (typeof item !== "object" || item === null) continue;
    const it = item as Json;
    if (it.type === "function_call_output" || it.type === "custom_tool_call_output") return { kind: "text" };
    const isMessage = it.type === "message" || (it.type === undefined && typeof it.role === "string");
    if (isMessage && it.role === "assistant") return { kind: "text" };
    if (isMessage && it.role === "user" && messageText(it).includes("RUN_TOOL")) return { kind: "tool_call" };
  }
  return { kind: "text" };
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const accounts = new Map<string, AccountState>();
  /** Every access token ever issued → account, so superseded tokens get token_expired, not invalid_api_key. */
  const accessTokens = new Map<string, string>();
  const refreshTokens = new Map<string, { accountId: string; used: boolean }>();
  const requests: RecordedRequest[] = [];
  const pausedWaiters = new Set<() => void>();
  let responseCounter = 0;
  const extra = createExtraRoutes({
    authenticate: (req, res) => authenticate(req, res),
    baseUrl: () => url,
    unaryFailure: (accountId) => accounts.get(accountId)?.unaryFailureStatus,
  });
  // Onboarding (device code, authorization code): the accounts it mints are ordinary fake accounts.
  const oauth = createOAuthRoutes({ issuer: () => url, createAccount: (opts) => fake.createAccount(opts) });

  function mustGet(accountId: string): AccountState {
    const acct = accounts.get(accountId);
    if (!acct) throw new Error(`fake upstream: unknown account ${accountId}`);
    return acct;
  }

  function issueTokens(acct: AccountState, ttl = acct.ttl): { idToken: string } {
    const now = nowSec();
    acct.accessToken = makeAccessToken(acct, now, ttl);
    acct.accessExp = now + ttl;
    acct.accessRevoked = false;
    acct.refreshToken = makeRefreshToken();
    accessTokens.set(acct.accessToken, acct.accountId);
    refreshTokens.set(acct.refreshToken, { accountId: acct.accountId, used: false });
    return { idToken: makeIdToken(acct, now, acct.ttl) };
  }

  function rateLimitHeaders(acct: AccountState): Record<string, string> {
    const now = nowSec();
    return {
      "x-codex-primary-used-percent": String(acct.primaryUsed),
      "x-codex-primary-window-minutes": String(PRIMARY_WINDOW_MIN),
      "x-codex-primary-reset-at": String(now + PRIMARY_RESET_S),
      "x-codex-primary-reset-after-seconds": String(PRIMARY_RESET_S),
      "x-codex-secondary-used-percent": String(acct.secondaryUsed),
      "x-codex-secondary-window-minutes": String(SECONDARY_WINDOW_MIN),
      "x-codex-secondary-reset-at": String(now + SECONDARY_RESET_S),
      "x-codex-secondary-reset-after-seconds": String(SECONDARY_RESET_S),
      "x-codex-credits-has-credits": "false",
      "x-codex-credits-unlimited": "false",
      "x-codex-plan-type": acct.planType,
    };
  }

  /** Returns the account when the bearer token is valid for it; otherwise answers 401 (§9.3). */
  function authenticate(req: IncomingMessage, res: ServerResponse): AccountState | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    const token = match?.[1];
    const accountId = token === undefined ? undefined : accessTokens.get(token);
    const acct = accountId === undefined ? undefined : accounts.get(accountId);
    if (!acct) {
      sendJson(res, 401, INVALID_API_KEY_BODY, { "x-fake-auth-error": "unknown_token" });
      return undefined;
    }
    let reason: string | undefined;
    if (token !== acct.accessToken) reason = "superseded_token";
    else if (acct.accessRevoked) reason = "expired_by_test";
    else if (acct.accessExp <= nowSec()) reason = "expired";
    else {
      const header = req.headers["chatgpt-account-id"];
      // Codex omits the header for email_/local_ ids (§2.2), so only those may leave it out.
      const optional = /^(email_|local_)/.test(acct.accountId);
      if (header === undefined ? !optional : header !== acct.accountId) reason = "account_mismatch";
    }
    if (reason) {
      // x-fake-auth-error is test-only, to tell the causes apart when debugging.
      sendJson(res, 401, TOKEN_EXPIRED_BODY, { "x-fake-auth-error": reason });
      return undefined;
    }
    return acct;
  }

  function handleToken(body: unknown, res: ServerResponse): void {
    const b = (typeof body === "object" && body !== null ? body : {}) as Json;
    if (b.grant_type !== "refresh_token") {
      sendJson(res, 400, {
        error: {
          message: `Unsupported grant_type: ${String(b.grant_type)}`,
          type: "invalid_request_error",
          param: "grant_type",
          code: "unsupported_grant_type",
        },
      });
      return;
    }
    const rt = typeof b.refresh_token === "string" ? b.refresh_token : "";
    const entry = refreshTokens.get(rt);
    if (!entry) {
      sendJson(
        res,
        401,
        refreshError(
          "refresh_token_invalidated",
          "Your refresh token has been invalidated. Please try signing in again.",
        ),
      );
      return;
    }
    if (entry.used) {
      sendJson(
        res,
        401,
        refreshError(
          "refresh_token_reused",
          "Your refresh token has already been used to generate a new access token. Please try signing in again.",
        ),
      );
      return;
    }
    const acct = mustGet(entry.accountId);
    if (acct.refreshFailureStatus !== undefined) {
      // A transient auth-server failure: the refresh token stays valid for a later try.
      sendJson(res, acct.refreshFailureStatus, {
        error: { message: "Temporary failure", type: "server_error", param: null, code: "server_error" },
      });
      return;
    }
    entry.used = true;
    const { idToken } = issueTokens(acct);
    acct.refreshes++;
    sendJson(res, 200, {
      id_token: idToken,
      access_token: acct.accessToken,
      refresh_token: acct.refreshToken,
      expires_in: acct.ttl,
      token_type: "Bearer",
      scope: "openid profile email offline_access",
    });
  }

  /** Resolves on releasePaused() or when the client goes away. */
  function waitPaused(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        pausedWaiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      if (signal.aborted) return resolve();
      pausedWaiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Writes events one res.write each (so streaming is observable), honouring delay/pause; stops on disconnect. */
  async function writeEvents(
    res: ServerResponse,
    signal: AbortSignal,
    events: SseEvent[],
    opts: { delayMs?: number; pauseAfter?: number } = {},
  ): Promise<boolean> {
    for (const [i, ev] of events.entries()) {
      if (signal.aborted || res.destroyed) return false;
      if (i > 0 && opts.delayMs) {
        try {
          await sleep(opts.delayMs, undefined, { signal });
        } catch {
          return false;
        }
      }
      res.write(formatSse(ev));
      if (opts.pauseAfter === i) await waitPaused(signal);
    }
    return !signal.aborted;
  }

  async function handleResponses(
    req: IncomingMessage,
    res: ServerResponse,
    acct: AccountState,
    body: unknown,
  ): Promise<void> {
    // The real backend answers FastAPI-style {"detail": ...} for malformed requests.
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      sendJson(res, 400, { detail: "Request body must be a JSON object" });
      return;
    }
    const b = body as Json;
    if (typeof b.model !== "string" || b.model === "") {
      sendJson(res, 400, { detail: "Model is required" });
      return;
    }
    if (b.stream !== true) {
      sendJson(res, 400, { detail: "Stream must be set to true" });
      return;
    }
    if (b.store === true) {
      sendJson(res, 400, { detail: "Store must be set to false" });
      return;
    }

    const behavior = acct.queue.shift() ?? acct.defaultBehavior ?? autoBehavior(b);
    const n = ++responseCounter;
    const requestId = `req_fake_${n}`;
    const meta: ResponseMeta = { responseId: `resp_${n}`, model: b.model, createdAt: nowSec() };
    const now = nowSec();

    if (isFault(behavior)) {
      const closed = new AbortController();
      res.on("close", () => closed.abort());
      await runFault(behavior, {
        req,
        res,
        meta,
        itemId: `msg_${n}`,
        closed: closed.signal,
        writeHead() {
          res.writeHead(200, {
            "content-type": "text/event-stream",
            "cache-control": "no-cache",
            ...rateLimitHeaders(acct),
            "x-request-id": requestId,
          });
          res.flushHeaders();
        },
        pause: () => waitPaused(closed.signal),
      });
      return;
    }

    switch (behavior.kind) {
      case "reset_connection":
        req.socket.destroy();
        return;
      case "usage_limit_429": {
        const resetsIn = behavior.resetsInSeconds ?? 1800;
        sendJson(
          res,
          429,
          {
            error: {
              type: "usage_limit_reached",
              message: "The usage limit has been reached",
              plan_type: acct.planType,
              resets_at: now + resetsIn,
              resets_in_seconds: resetsIn,
            },
          },
          {
            "x-codex-primary-used-percent": "100",
            "x-codex-primary-window-minutes": String(PRIMARY_WINDOW_MIN),
            "x-codex-primary-reset-at": String(now + resetsIn),
            "x-codex-primary-reset-after-seconds": String(resetsIn),
            "x-codex-secondary-used-percent": String(acct.secondaryUsed),
            "x-codex-secondary-window-minutes": String(SECONDARY_WINDOW_MIN),
            "x-codex-secondary-reset-at": String(now + SECONDARY_RESET_S),
            "x-codex-secondary-reset-after-seconds": String(SECONDARY_RESET_S),
            "x-codex-active-limit": "codex",
            "x-codex-rate-limit-reached-type": "rate_limit_reached",
            "x-request-id": requestId,
          },
        );
        return;
      }
      case "rate_limit_429":
        sendJson(
          res,
          429,
          {
            error: {
              type: "rate_limit_error",
              code: "rate_limit_exceeded",
              message: "Rate limit reached. Please try again in 2s.",
            },
          },
          { "retry-after": "2", "x-request-id": requestId },
        );
        return;
      case "overloaded_503":
        sendJson(
          res,
          503,
          {
            error: {
              code: "server_is_overloaded",
              message: "Our servers are currently overloaded. Please try again later.",
            },
          },
          { "x-request-id": requestId },
        );
        return;
      case "server_error_500":
        sendJson(
          res,
          500,
          {
            error: {
              type: "server_error",
              code: "server_error",
              message: "An error occurred while processing your request.",
            },
          },
          { "x-request-id": requestId },
        );
        return;
      case "unauthorized_401":
        sendJson(res, 401, behavior.code === "invalid_api_key" ? INVALID_API_KEY_BODY : TOKEN_EXPIRED_BODY, {
          "x-request-id": requestId,
        });
        return;
      default:
        break;
    }

    // Streaming behaviours from here on.
    const incomingTurnState = req.headers["x-codex-turn-state"];
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      ...rateLimitHeaders(acct),
      "x-models-etag": MODELS_ETAG,
      "x-request-id": requestId,
      // Sticky routing token: echo the one the client already holds for this turn, else mint one.
      "x-codex-turn-state": typeof incomingTurnState === "string" ? incomingTurnState : `ts_${randomHex(8)}`,
    });
    res.flushHeaders();
    const ac = new AbortController();
    res.on("close", () => ac.abort());

    switch (behavior.kind) {
      case "text": {
        const events = textTurnEvents(meta, `msg_${n}`, behavior.text ?? DEFAULT_TEXT);
        const opts = { delayMs: behavior.delayMsBetweenEvents, pauseAfter: behavior.pauseAfterEvent };
        if (await writeEvents(res, ac.signal, events, opts)) res.end();
        return;
      }
      case "tool_call": {
        const ids = {
          reasoningId: `rs_${n}`,
          callItemId: `fc_${n}`,
          callId: `call_${n}`,
          // Opaque blob, tagged with the account like real encrypted reasoning is.
          encryptedContent: `gAAAAB${Buffer.from(JSON.stringify({ acct: acct.accountId, n })).toString("base64url")}`,
        };
        const events = toolCallTurnEvents(meta, ids, behavior.command ?? "echo hi");
        if (await writeEvents(res, ac.signal, events)) res.end();
        return;
      }
      case "drop_mid_stream":
        if (await writeEvents(res, ac.signal, droppedTurnEvents(meta, `msg_${n}`))) res.end();
        return;
      case "response_failed":
        if (await writeEvents(res, ac.signal, [responseFailedEvent(meta, behavior.code, behavior.message)])) {
          res.end();
        }
        return;
      case "stall":
        res.write(formatSse(createdEvent(meta)));
        // Hold the response open until the client (or close()) goes away.
        await new Promise<void>((resolve) => {
          if (ac.signal.aborted) resolve();
          else ac.signal.addEventListener("abort", () => resolve(), { once: true });
        });
        return;
    }
  }

  function handleUsage(res: ServerResponse, acct: AccountState): void {
    const now = nowSec();
    const limitReached = acct.primaryUsed >= 100 || acct.secondaryUsed >= 100;
    sendJson(res, 200, {
      plan_type: acct.planType,
      rate_limit: {
        allowed: !limitReached,
        limit_reached: limitReached,
        primary_window: {
          used_percent: acct.primaryUsed,
          limit_window_seconds: PRIMARY_WINDOW_MIN * 60,
          reset_after_seconds: PRIMARY_RESET_S,
          reset_at: now + PRIMARY_RESET_S,
        },
        secondary_window: {
          used_percent: acct.secondaryUsed,
          limit_window_seconds: SECONDARY_WINDOW_MIN * 60,
          reset_after_seconds: SECONDARY_RESET_S,
          reset_at: now + SECONDARY_RESET_S,
        },
      },
      credits: { has_credits: false, unlimited: false, balance: "0" },
      additional_rate_limits: [],
      rate_limit_reset_credits: { available_count: 0 },
      rate_limit_reached_type: limitReached ? "rate_limit_reached" : null,
      spend_control: null,
    });
  }

  function handleModels(req: IncomingMessage, res: ServerResponse, query: Record<string, string>): void {
    const headers = { "x-models-etag": MODELS_ETAG, etag: MODELS_ETAG };
    if (req.headers["if-none-match"] === MODELS_ETAG) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    sendJson(res, 200, modelsBody(query.client_version), headers);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname;
    const method = req.method ?? "GET";

    let body: unknown;
    let bodyError: string | undefined;
    try {
      body = parseBody(
        decodeBody(Buffer.concat(chunks), req.headers["content-encoding"]),
        req.headers["content-type"],
      );
    } catch (err) {
      bodyError = err instanceof Error ? err.message : String(err);
    }

    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
    }
    const bearer = /^Bearer\s+(\S+)/i.exec(headers.authorization ?? "")?.[1];
    let accountId = bearer === undefined ? undefined : accessTokens.get(bearer);
    if (accountId === undefined && path === "/oauth/token" && typeof body === "object" && body !== null) {
      const rt = (body as Json).refresh_token;
      if (typeof rt === "string") accountId = refreshTokens.get(rt)?.accountId;
    }
    accountId ??= headers["chatgpt-account-id"];
    const record: RecordedRequest = { method, path, query: Object.fromEntries(url.searchParams), headers };
    if (body !== undefined) record.body = body;
    if (accountId !== undefined) record.accountId = accountId;
    requests.push(record);
    // Files, transcription, images, compaction (extra-routes.ts); before the body check: blobs are binary.
    if (await extra.handle({ req, res, method, path, raw: Buffer.concat(chunks), body, record })) return;

    if (bodyError !== undefined) {
      sendJson(res, 400, { detail: `Could not parse request body: ${bodyError}` });
      return;
    }

    const route = `${method} ${path}`;
    if (oauth.handle(route, body, res)) return;
    if (route === "POST /oauth/token") {
      handleToken(body, res);
      return;
    }
    const backendRoutes = [
      "POST /backend-api/codex/responses",
      "GET /backend-api/codex/models",
      "GET /backend-api/wham/usage",
    ];
    if (!backendRoutes.includes(route)) {
      sendJson(res, 404, {
        error: { message: `No route for ${route}`, type: "invalid_request_error", code: "not_found" },
      });
      return;
    }
    const acct = authenticate(req, res);
    if (!acct) return;
    if (route === "GET /backend-api/codex/models") handleModels(req, res, record.query);
    else if (route === "GET /backend-api/wham/usage") handleUsage(res, acct);
    else await handleResponses(req, res, acct, body);
  }

  const server = createServer({ noDelay: true }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { detail: `fake upstream crashed: ${String(err)}` });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const websockets = attachWebSocketUpstream(server, {
    authenticate,
    autoBehavior,
    nextResponseNumber: () => ++responseCounter,
    rateLimitHeaders,
    modelsEtag: MODELS_ETAG,
    defaultText: DEFAULT_TEXT,
  });

  const fake: FakeUpstream = {
    ...oauth.api,
    url,
    upstreamBaseUrl: `${url}/backend-api`,
    authBaseUrl: url,
    requests,

    createAccount(opts: FakeAccountOptions = {}): FakeAccount {
      const accountId = opts.accountId ?? `acct_${randomHex(8)}`;
      if (accounts.has(accountId)) throw new Error(`fake upstream: account ${accountId} already exists`);
      const userId = opts.userId ?? `user-${randomHex(8)}`;
      const acct: AccountState = {
        accountId,
        planType: opts.planType ?? "plus",
        email: opts.email ?? `${accountId}@example.test`,
        userId,
        ttl: opts.accessTokenTtlSeconds ?? 3600,
        accessToken: "",
        accessExp: 0,
        accessRevoked: false,
        refreshToken: "",
        refreshes: 0,
        queue: [],
        primaryUsed: 12.5,
        secondaryUsed: 40,
      };
      accounts.set(accountId, acct);
      const { idToken } = issueTokens(acct, opts.initialAccessTokenTtlSeconds ?? acct.ttl);
      return {
        accountId,
        authJson: {
          auth_mode: "chatgpt",
          OPENAI_API_KEY: null,
          tokens: {
            id_token: idToken,
            access_token: acct.accessToken,
            refresh_token: acct.refreshToken,
            account_id: accountId,
          },
          last_refresh: new Date().toISOString(),
        },
      };
    },

    enqueue(accountId: string, ...behaviors: Behavior[]): void {
      mustGet(accountId).queue.push(...behaviors);
    },

    setDefaultBehavior(accountId: string, behavior: Behavior): void {
      mustGet(accountId).defaultBehavior = behavior;
    },

    setUsage(accountId: string, usage: UsageSettings): void {
      const acct = mustGet(accountId);
      if (usage.primaryUsedPercent !== undefined) acct.primaryUsed = usage.primaryUsedPercent;
      if (usage.secondaryUsedPercent !== undefined) acct.secondaryUsed = usage.secondaryUsedPercent;
      if (usage.planType !== undefined) acct.planType = usage.planType;
    },

    failUnary(accountId: string, status?: number): void {
      mustGet(accountId).unaryFailureStatus = status;
    },

    failRefresh(accountId: string, status?: number): void {
      mustGet(accountId).refreshFailureStatus = status;
    },

    expireAccessToken(accountId: string): void {
      mustGet(accountId).accessRevoked = true;
    },

    refreshCount(accountId: string): number {
      return mustGet(accountId).refreshes;
    },

    releasePaused(): void {
      for (const release of [...pausedWaiters]) release();
    },

    websocketSessions: websockets.sessions,
    dropWebSockets: (accountId: string) => websockets.drop(accountId),

    responsesFor(accountId: string): RecordedRequest[] {
      return requests.filter((r) => r.path === "/backend-api/codex/responses" && r.accountId === accountId);
    },

    async close(): Promise<void> {
      for (const release of [...pausedWaiters]) release();
      websockets.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  return fake;
}

// Minimal HTTP client for the gateway's JSON admin API (/admin/v1/*).
import { CliError, oneLine, redactSecrets } from "./errors.ts";
import { ApiErrorBody } from "./schemas.ts";
import type { RequestSigner } from "./sigv4.ts";

export const DEFAULT_GATEWAY_URL = "http://localhost:4000";
const DEFAULT_TIMEOUT_MS = 60_000;

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";
export type QueryValue = string | number | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
}

export interface AdminClientOptions {
  baseUrl: string;
  token: string;
  /** Signs each request (SigV4, the admin function URL on AWS) instead of sending the bearer token. */
  signer?: RequestSigner;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** Validates and normalises the gateway base URL (no trailing slash). */
export function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new CliError(`invalid gateway URL ${JSON.stringify(raw)}: expected e.g. ${DEFAULT_GATEWAY_URL}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`invalid gateway URL ${JSON.stringify(raw)}: only http:// and https:// are supported`);
  }
  if (url.username || url.password) {
    throw new CliError(
      "invalid gateway URL: credentials in the URL are not supported; use POOLER_ADMIN_TOKEN",
    );
  }
  url.search = "";
  url.hash = "";
  return url.toString().replace(/\/+$/, "");
}

/** The admin token as sent in the Authorization header; rejects values that cannot be a header. */
export function normalizeAdminToken(raw: string | undefined): string {
  const token = raw?.trim() ?? "";
  if (token === "") {
    throw new CliError(
      "no admin token: set POOLER_ADMIN_TOKEN to the admin token printed by `npm start` on first start",
    );
  }
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new CliError("the admin token contains invalid characters (check POOLER_ADMIN_TOKEN)");
  }
  return token;
}

export class AdminClient {
  readonly baseUrl: string;
  readonly #token: string;
  readonly #signer: RequestSigner | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: AdminClientOptions) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
    this.#signer = options.signer;
    this.#token = options.signer ? "" : normalizeAdminToken(options.token);
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  get(path: string, query?: Record<string, QueryValue>): Promise<unknown> {
    return this.request("GET", path, { query });
  }

  post(path: string, body?: unknown): Promise<unknown> {
    return this.request("POST", path, { body: body ?? {} });
  }

  patch(path: string, body: unknown): Promise<unknown> {
    return this.request("PATCH", path, { body });
  }

  delete(path: string): Promise<unknown> {
    return this.request("DELETE", path);
  }

  /** Performs one admin API call; resolves with the parsed JSON body of a 2xx answer, else throws CliError. */
  async request(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<unknown> {
    const url = this.#url(path, options.query);
    const headers: Record<string, string> = {
      ...(this.#signer ? {} : { authorization: `Bearer ${this.#token}` }),
      accept: "application/json",
    };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.body);
    }

    const sent = this.#signer ? await this.#signer({ method, url, headers, body }) : headers;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers: sent,
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
        throw new CliError(
          `the gateway at ${this.baseUrl} did not answer within ${Math.round(this.#timeoutMs / 1000)}s`,
        );
      }
      throw new CliError(
        `cannot reach the gateway at ${this.baseUrl} (is it running? start it with npm start)`,
      );
    }

    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new CliError(`the connection to the gateway at ${this.baseUrl} broke while reading the response`);
    }
    const parsed = parseJson(text);
    const what = `${method} ${path}`;

    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get("location");
      throw new CliError(
        `${what} was redirected (HTTP ${response.status}${location ? ` to ${location}` : ""}); check --url / POOLER_URL`,
      );
    }
    if (!response.ok) {
      const apiError = ApiErrorBody.safeParse(parsed.ok ? parsed.value : undefined);
      if (apiError.success) {
        const { message, code } = apiError.data.error;
        const line = code ? `${message} (${code})` : message;
        throw new CliError(this.#clean(line), 1, code ?? undefined);
      }
      if (this.#signer && response.status === 403) {
        throw new CliError(
          `${what} was refused by AWS (HTTP 403): the signature was not accepted, or your IAM identity lacks lambda:InvokeFunctionUrl on the admin function (attach the stack's AdminInvokePolicy)`,
        );
      }
      throw new CliError(
        `${what} failed with HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""} (no error details in the response; is ${this.baseUrl} the gateway?)`,
      );
    }
    if (!parsed.ok) {
      throw new CliError(
        `${what} returned a response that is not JSON (HTTP ${response.status}); is ${this.baseUrl} the gateway?`,
      );
    }
    return parsed.value;
  }

  #url(path: string, query: Record<string, QueryValue> | undefined): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== "") params.set(name, String(value));
    }
    // SigV4 canonicalises a space as %20; form encoding's `+` would break the signature.
    const search = this.#signer ? params.toString().replace(/\+/g, "%20") : params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ""}`;
  }

  #clean(message: string): string {
    return redactSecrets(oneLine(message), [this.#token]);
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === "") return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Encodes one path segment (ids are opaque to the CLI). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

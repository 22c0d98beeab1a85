// One OpenAI-shaped error type for every surface: `{"error":{message,type,code,param}}`.

export type ErrorType = "invalid_request_error" | "server_error";

export interface ErrorBody {
  error: { message: string; type: ErrorType; code: string; param: string | null };
}

const SERVER_CODES = new Set(["server_is_overloaded", "internal_error", "server_error", "upstream_error"]);

export class GatewayError extends Error {
  readonly status: number;
  readonly code: string;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { param?: string | null; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "GatewayError";
    this.status = status;
    this.code = code;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }

  get type(): ErrorType {
    // Server-side failures (5xx, overload, internal) are server_error, as OpenAI's API reports them.
    return this.status >= 500 || SERVER_CODES.has(this.code) ? "server_error" : "invalid_request_error";
  }

  toJSON(): ErrorBody {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param } };
  }

  toResponse(): Response {
    return Response.json(this.toJSON(), {
      status: this.status,
      headers: { ...this.headers, "cache-control": "no-store" },
    });
  }
}

export const badRequest = (message: string, param: string | null = null, code = "invalid_request") =>
  new GatewayError(400, code, message, { param });

export const notFound = (message: string, code = "not_found") => new GatewayError(404, code, message);

export const conflict = (message: string, code = "conflict") => new GatewayError(409, code, message);

/** Store-level signal that a conditional single-item write lost. */
export class ConditionFailedError extends Error {
  constructor(message = "condition failed") {
    super(message);
    this.name = "ConditionFailedError";
  }
}

// POST /mcp: the read-only operator MCP server over stateless Streamable HTTP (a fresh server and
// transport per request, JSON answers, no sessions, no SSE). Only MCP tokens (mcp-cxp-…) get in; every
// refusal is a JSON-RPC error body so MCP clients can show it.
import { Hono } from "hono";
import { credentialBucket } from "../../core/access/auth-throttle.ts";
import { credentialScope } from "../../core/access/scope.ts";
import { GatewayError } from "../../core/errors.ts";
import type { Gateway } from "../../core/gateway.ts";
import { bearerToken, parseCredential } from "../../core/keys/secrets-format.ts";
import type { Credential } from "../../core/model.ts";
import { DEFAULT_MCP_RATE_LIMIT, type RateLimit, TokenBuckets } from "../../mcp/rate-limit.ts";
import { readBody } from "../body.ts";
import { clientAddress } from "../client-address.ts";
import { rpcError } from "../json-rpc.ts";
import type { AppEnv } from "../types.ts";

export const MCP_MAX_BODY_BYTES = 1024 * 1024;

// The MCP SDK and the tools load on the first /mcp call: the relay path never needs them, and on the
// local host they were some 15 MB of resident memory from the start.
let mcpModules:
  | Promise<
      [
        typeof import("../../mcp/server.ts"),
        typeof import("@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"),
      ]
    >
  | undefined;
function loadMcp() {
  if (!mcpModules) {
    mcpModules = Promise.all([
      import("../../mcp/server.ts"),
      import("@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"),
    ]);
  }
  return mcpModules;
}
const ALLOW = "POST, OPTIONS";

export interface McpRouteOptions {
  version: string;
  /** Public origin for setup help when the request's own origin is not what clients use. */
  publicBaseUrl?: string;
  rateLimit?: RateLimit;
  maxBodyBytes?: number;
}

const unauthorized = (message: string, invalid = true) =>
  rpcError(401, -32000, message, {
    "www-authenticate": invalid
      ? 'Bearer realm="codex-pooler-mcp", error="invalid_token"'
      : 'Bearer realm="codex-pooler-mcp"',
  });

/** The caller's MCP token, or the refusal to send (a tagged result: hosts may swap the global Response class). */
type AuthResult = { token: Credential } | { refusal: Response };

async function authenticate(
  gw: Gateway,
  header: string | undefined,
  client: string | undefined,
): Promise<AuthResult> {
  const raw = bearerToken(header);
  if (!raw)
    return {
      refusal: unauthorized("MCP bearer token is required: send Authorization: Bearer mcp-cxp-…", false),
    };
  const kind = parseCredential(raw)?.kind;
  if (kind === "pool_key" || kind === "admin_token") {
    const what = kind === "pool_key" ? "a Pool API key" : "an admin token";
    return {
      refusal: unauthorized(
        `${what} does not work here: /mcp accepts only MCP tokens (mcp-cxp-…); create one with \`pooler mcp-token create\``,
      ),
    };
  }
  // Always checked: a token that verifies is never refused by the failed-auth throttle.
  const token = await gw.credentials.verify("mcp_token", raw);
  if (!token) {
    const wait = gw.throttle.failed(client, credentialBucket(raw));
    if (wait > 0) {
      return {
        refusal: rpcError(
          429,
          -32000,
          `too many failed authentication attempts; retry after ${wait} s with a valid MCP token`,
          { "retry-after": String(wait) },
        ),
      };
    }
    return {
      refusal: unauthorized(
        "MCP token is invalid: check the value or create a new one with `pooler mcp-token create`",
      ),
    };
  }
  if (token.status !== "active") {
    return {
      refusal: unauthorized("MCP token has been revoked: create a new one with `pooler mcp-token create`"),
    };
  }
  return { token };
}

export function mcpRoutes(gw: Gateway, options: McpRouteOptions) {
  const buckets = new TokenBuckets(gw.ctx.clock, options.rateLimit ?? DEFAULT_MCP_RATE_LIMIT);
  const maxBodyBytes = options.maxBodyBytes ?? MCP_MAX_BODY_BYTES;
  const { metrics } = gw.ctx;

  return new Hono<AppEnv>()
    .options(
      "/mcp",
      () => new Response(null, { status: 204, headers: { allow: ALLOW, "cache-control": "no-store" } }),
    )
    .post("/mcp", async (c) => {
      const auth = await authenticate(gw, c.req.header("authorization"), clientAddress(c));
      if ("refusal" in auth) {
        metrics.count("mcp_requests", 1, { outcome: "unauthorized" });
        return auth.refusal;
      }
      const { token } = auth;
      // The instance gate: an operator can turn MCP off for every token at once (GET/PATCH /settings).
      if (!(await gw.settings.get()).mcpEnabled) {
        metrics.count("mcp_requests", 1, { outcome: "disabled" });
        return rpcError(
          403,
          -32000,
          "MCP is turned off on this gateway; an operator can turn it on with `pooler settings set --mcp on`",
        );
      }
      const wait = buckets.take(token.id);
      if (wait > 0) {
        metrics.count("mcp_requests", 1, { outcome: "rate_limited" });
        return rpcError(429, -32000, `rate limit exceeded for this MCP token; retry after ${wait} s`, {
          "retry-after": String(wait),
        });
      }
      const encoding = c.req.header("content-encoding")?.trim().toLowerCase();
      if (encoding && encoding !== "identity") {
        return rpcError(415, -32000, "compressed request bodies are not supported on /mcp; send plain JSON");
      }
      let bytes: Uint8Array;
      try {
        bytes = await readBody(c.req.raw, { maxBodyBytes, maxCompressedBodyBytes: maxBodyBytes });
      } catch (error) {
        if (error instanceof GatewayError && error.status === 413) {
          return rpcError(413, -32000, `request body is larger than ${maxBodyBytes} bytes`);
        }
        throw error;
      }
      let message: unknown;
      try {
        message = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        return rpcError(400, -32700, "Parse error: the body must be one JSON-RPC message");
      }
      if (Array.isArray(message)) {
        return rpcError(
          400,
          -32600,
          "Invalid Request: batches are not supported; send one JSON-RPC message per POST",
        );
      }

      const [{ createMcpServer }, { WebStandardStreamableHTTPServerTransport }] = await loadMcp();
      const server = createMcpServer(gw, {
        version: options.version,
        baseUrl: options.publicBaseUrl ?? new URL(c.req.url).origin,
        tokenId: token.id,
        scope: credentialScope(token),
      });
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      try {
        await server.connect(transport);
        const response = await transport.handleRequest(c.req.raw, { parsedBody: message });
        metrics.count("mcp_requests", 1, { outcome: response.ok ? "ok" : `http_${response.status}` });
        const headers = new Headers(response.headers);
        headers.set("cache-control", "no-store");
        return new Response(response.body, { status: response.status, headers });
      } finally {
        await server.close();
      }
    })
    .all("/mcp", () =>
      rpcError(
        405,
        -32000,
        "Method not allowed: this MCP server is stateless, so SSE streams (GET) and sessions (DELETE) are unavailable; send each JSON-RPC message with POST",
        { allow: ALLOW },
      ),
    );
}

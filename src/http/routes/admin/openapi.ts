// OpenAPI 3.1 description of the admin API, built from the same zod schemas that validate input.
import { z } from "zod";
import { BrowserCallback, StartOAuthLogin } from "./oauth.ts";
import { operatorPaths } from "./openapi-operator.ts";
import {
  CreateAdminToken,
  CreateKey,
  CreateMcpToken,
  CreatePool,
  ImportAccount,
  UpdateKey,
  UpdatePool,
} from "./schemas.ts";
import { UpdateSettings } from "./settings.ts";

const error = { $ref: "#/components/schemas/Error" };
const ok = (description: string) => ({
  description,
  content: { "application/json": { schema: { type: "object" } } },
});
const errors = {
  "400": { description: "Invalid input", content: { "application/json": { schema: error } } },
  "401": {
    description: "Missing or invalid admin token",
    content: { "application/json": { schema: error } },
  },
  "403": {
    description: "insufficient_scope (param: the missing scope)",
    content: { "application/json": { schema: error } },
  },
  "404": { description: "Not found", content: { "application/json": { schema: error } } },
};
const failure = (description: string) => ({
  description,
  content: { "application/json": { schema: error } },
});
const body = (schema: z.ZodType) => ({
  required: true,
  content: { "application/json": { schema: z.toJSONSchema(schema) } },
});
const idParam = [{ name: "id", in: "path", required: true, schema: { type: "string" } }];
const action = (summary: string) => ({
  post: { summary, parameters: idParam, responses: { "200": ok(summary), ...errors } },
});

export function adminOpenApi(version: string) {
  return {
    openapi: "3.1.0",
    info: { title: "Codex Pooler admin API", version },
    servers: [{ url: "/admin/v1" }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["message", "type", "code", "param"],
              properties: {
                message: { type: "string" },
                type: { type: "string", enum: ["invalid_request_error", "server_error"] },
                code: { type: "string" },
                param: { type: ["string", "null"] },
              },
            },
          },
        },
      },
    },
    paths: {
      "/pools": {
        get: { summary: "List pools", responses: { "200": ok("Pools"), ...errors } },
        post: {
          summary: "Create a pool",
          requestBody: body(CreatePool),
          responses: { "201": ok("Created"), ...errors },
        },
      },
      "/settings": {
        get: {
          summary: "Gateway-wide settings (the instance MCP gate, the runtime firewall)",
          responses: { "200": ok("Settings"), ...errors },
        },
        patch: {
          summary: "Change gateway-wide settings; audited as settings.update",
          requestBody: body(UpdateSettings),
          responses: { "200": ok("Settings"), ...errors },
        },
      },
      "/pools/{name}": {
        get: {
          summary: "Pool detail",
          parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
          responses: { "200": ok("Pool"), ...errors },
        },
        patch: {
          summary: "Change a pool's routing strategy or ring size",
          parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
          requestBody: body(UpdatePool),
          responses: { "200": ok("Pool"), ...errors },
        },
      },
      "/pools/{name}/disable": {
        post: {
          summary: "Disable a pool: its keys are refused and their dashboard sessions end",
          parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
          responses: { "200": ok("Pool"), ...errors },
        },
      },
      "/pools/{name}/enable": {
        post: {
          summary: "Enable a disabled pool",
          parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
          responses: { "200": ok("Pool"), ...errors },
        },
      },
      "/admission": {
        get: {
          summary: "This process's admission limits and load per route class",
          responses: { "200": ok("Admission"), ...errors },
        },
      },
      "/accounts": {
        get: {
          summary: "List upstream accounts (no tokens)",
          parameters: [{ name: "pool", in: "query", schema: { type: "string" } }],
          responses: { "200": ok("Accounts"), ...errors },
        },
      },
      "/accounts/import": {
        post: {
          summary: "Import a Codex auth.json into a pool (replaces the tokens of a known account)",
          requestBody: body(ImportAccount),
          responses: { "201": ok("Imported"), "200": ok("Replaced"), ...errors },
        },
      },
      "/accounts/oauth/device": {
        post: {
          summary:
            "Start a device-code login: answers the verification URL and user code to show the operator",
          requestBody: body(StartOAuthLogin),
          responses: {
            "201": ok("Flow started"),
            "502": failure("The auth server refused or failed"),
            ...errors,
          },
        },
      },
      "/accounts/oauth/device/{id}/poll": {
        post: {
          summary:
            "Poll a device-code login at its intervalSeconds: pending, slow_down (use the new interval) or complete with the account",
          parameters: idParam,
          responses: {
            "200": ok("Status, or the account when complete"),
            "410": failure("expired_flow"),
            ...errors,
          },
        },
      },
      "/accounts/oauth/browser": {
        post: {
          summary: "Start a browser PKCE login: answers the authorize URL to open",
          requestBody: body(StartOAuthLogin),
          responses: { "201": ok("Flow started"), ...errors },
        },
      },
      "/accounts/oauth/browser/{id}/callback": {
        post: {
          summary:
            "Complete a browser login with the http://localhost:1455/auth/callback?… URL the browser ended on",
          parameters: idParam,
          requestBody: body(BrowserCallback),
          responses: {
            "200": ok("Complete, with the account"),
            "409": failure("flow_not_pending"),
            "410": failure("expired_flow"),
            "502": failure("token_exchange_failed"),
            ...errors,
          },
        },
      },
      "/accounts/{id}": {
        get: {
          summary: "Account detail",
          parameters: idParam,
          responses: { "200": ok("Account"), ...errors },
        },
        delete: {
          summary: "Remove an account and its secret",
          parameters: idParam,
          responses: { "200": ok("Removed"), ...errors },
        },
      },
      "/accounts/{id}/pause": action("Pause an account"),
      "/accounts/{id}/resume": action("Resume an account"),
      "/keys": {
        get: {
          summary: "List Pool API keys (no secrets)",
          parameters: [{ name: "pool", in: "query", schema: { type: "string" } }],
          responses: { "200": ok("Keys"), ...errors },
        },
        post: {
          summary: "Create a Pool API key (raw key returned once)",
          requestBody: body(CreateKey),
          responses: { "201": ok("Created"), ...errors },
        },
      },
      "/keys/{id}": {
        patch: {
          summary:
            "Change a key's label, policy (fields merge; null removes a cap) or dashboard access (off ends its sessions)",
          parameters: idParam,
          requestBody: body(UpdateKey),
          responses: { "200": ok("Key"), ...errors },
        },
        delete: {
          summary: "Delete a key for good (it stops working; its dashboard sessions end)",
          parameters: idParam,
          responses: { "200": ok("Deleted"), ...errors },
        },
      },
      "/keys/{id}/usage": {
        get: {
          summary: "A key's requests this minute and requests and tokens today and this week",
          parameters: idParam,
          responses: { "200": ok("Usage"), ...errors },
        },
      },
      "/keys/{id}/pause": action("Pause a key"),
      "/keys/{id}/resume": action("Resume a key"),
      "/keys/{id}/revoke": action("Revoke a key (terminal)"),
      "/keys/{id}/rotate": action("Rotate a key's secret (raw key returned once)"),
      "/mcp-tokens": {
        get: { summary: "List MCP tokens", responses: { "200": ok("Tokens"), ...errors } },
        post: {
          summary: "Create an MCP token (raw token returned once)",
          requestBody: body(CreateMcpToken),
          responses: { "201": ok("Created"), ...errors },
        },
      },
      "/mcp-tokens/{id}/revoke": action("Revoke an MCP token"),
      "/mcp-tokens/{id}/rotate": action("Rotate an MCP token"),
      "/admin-tokens": {
        get: { summary: "List admin tokens (prefixes only)", responses: { "200": ok("Tokens"), ...errors } },
        post: {
          summary: "Create an admin token (raw token returned once)",
          requestBody: body(CreateAdminToken),
          responses: { "201": ok("Created"), ...errors },
        },
      },
      "/admin-tokens/{id}/revoke": action("Revoke an admin token (not the one making the request)"),
      "/admin-tokens/{id}/rotate": action("Rotate an admin token"),
      "/request-logs": {
        get: {
          summary: "Metadata-only request logs, newest first",
          parameters: ["limit", "cursor", "pool", "key"].map((name) => ({
            name,
            in: "query",
            schema: { type: "string" },
          })),
          responses: { "200": ok("Page of request logs"), ...errors },
        },
      },
      "/audit-events": {
        get: {
          summary: "Audit events, newest first",
          parameters: ["limit", "cursor"].map((name) => ({ name, in: "query", schema: { type: "string" } })),
          responses: { "200": ok("Page of audit events"), ...errors },
        },
      },
      ...operatorPaths(),
    },
  };
}

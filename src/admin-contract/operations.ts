// Every admin operation once: method, path, summary, what it accepts (requests.ts) and what it
// answers (responses.ts). openapi.ts turns this table into the OpenAPI document; the admin routes
// validate with the same request schemas and build the same response shapes.
import type { z } from "zod";
import * as Q from "./requests.ts";
import * as R from "./responses.ts";

export interface Operation {
  method: "get" | "post" | "patch" | "delete";
  /** OpenAPI form: `{id}` for a path parameter. */
  path: string;
  summary: string;
  body?: z.ZodType;
  /** Query parameters: the keys of this object schema. */
  query?: z.ZodObject;
  /** 2xx answers by status. */
  ok: Record<number, z.ZodType>;
  /** Other answers beyond 400/401/403/404, by status: what they mean. */
  failures?: Record<number, string>;
}

const conflict = { 409: "The record is not in a state that allows this" };
const op = (
  method: Operation["method"],
  path: string,
  summary: string,
  ok: Operation["ok"],
  more: Partial<Operation> = {},
): Operation => ({ method, path, summary, ok, ...more });
const action = (path: string, summary: string, answer: z.ZodType, more: Partial<Operation> = {}) =>
  op("post", path, summary, { 200: answer }, more);

const credentialOps = (
  path: string,
  what: string,
  create: z.ZodType,
  one: z.ZodType,
  withSecret: z.ZodType,
  list: z.ZodType,
): Operation[] => [
  op("get", path, `List ${what}s (prefixes only, no secrets)`, { 200: list }, { query: Q.PoolFilter }),
  op("post", path, `Create an ${what} (raw secret returned once)`, { 201: withSecret }, { body: create }),
  action(`${path}/{id}/rotate`, `Rotate an ${what}'s secret (raw secret returned once)`, withSecret),
  action(`${path}/{id}/revoke`, `Revoke an ${what} (terminal)`, one),
];

/** `enable` and `disable` of an alert rule or channel, audited as `<audit>.enable|disable`. */
const toggles = (path: string, what: string, audit: string, answer: z.ZodType) =>
  (["enable", "disable"] as const).map((verb) =>
    action(
      `${path}/{id}/${verb}`,
      `${verb === "enable" ? "Enable" : "Disable"} ${what} (${audit}.${verb})`,
      answer,
      {
        failures: conflict,
      },
    ),
  );

export const OPERATIONS: Operation[] = [
  op("get", "/whoami", "The caller's actor, role and Pools", { 200: R.Whoami }),

  op("get", "/pools", "List pools", { 200: R.PoolListResponse }),
  op("post", "/pools", "Create a pool", { 201: R.PoolResponse }, { body: Q.CreatePool }),
  op("get", "/pools/{name}", "Pool detail", { 200: R.PoolResponse }),
  op(
    "patch",
    "/pools/{name}",
    "Change a pool's routing strategy, ring size or image generation",
    { 200: R.PoolResponse },
    { body: Q.UpdatePool },
  ),
  action(
    "/pools/{name}/disable",
    "Disable a pool: its keys are refused and their dashboard sessions end",
    R.PoolResponse,
  ),
  action("/pools/{name}/enable", "Enable a disabled pool", R.PoolResponse),

  op("get", "/settings", "Gateway-wide settings (the instance MCP gate, the runtime firewall)", {
    200: R.Settings,
  }),
  op(
    "patch",
    "/settings",
    "Change gateway-wide settings; audited as settings.update",
    { 200: R.Settings },
    { body: Q.UpdateSettings },
  ),
  op("get", "/admission", "This process's admission limits and load per route class", {
    200: R.AdmissionResponse,
  }),

  op(
    "get",
    "/accounts",
    "List upstream accounts (no tokens)",
    { 200: R.AccountListResponse },
    { query: Q.PoolFilter },
  ),
  op(
    "post",
    "/accounts/import",
    "Import a Codex auth.json into a pool (replaces the tokens of a known account: 200)",
    { 201: R.AccountImportResponse, 200: R.AccountImportResponse },
    { body: Q.ImportAccount },
  ),
  op(
    "post",
    "/accounts/oauth/device",
    "Start a device-code login: answers the verification URL and user code to show the operator",
    { 201: R.DeviceFlowResponse },
    { body: Q.StartOAuthLogin, failures: { 502: "The auth server refused or failed" } },
  ),
  action(
    "/accounts/oauth/device/{id}/poll",
    "Poll a device-code login at its intervalSeconds: pending, slow_down (use the new interval) or complete with the account",
    R.LoginResult,
    { failures: { 410: "expired_flow" } },
  ),
  op(
    "post",
    "/accounts/oauth/browser",
    "Start a browser PKCE login: answers the authorize URL to open",
    { 201: R.BrowserFlowResponse },
    { body: Q.StartOAuthLogin },
  ),
  action(
    "/accounts/oauth/browser/{id}/callback",
    "Complete a browser login with the http://localhost:1455/auth/callback?… URL the browser ended on",
    R.LoginResult,
    {
      body: Q.BrowserCallback,
      failures: { 409: "flow_not_pending", 410: "expired_flow", 502: "token_exchange_failed" },
    },
  ),
  op("get", "/accounts/{id}", "Account detail", { 200: R.AccountResponse }),
  op("delete", "/accounts/{id}", "Remove an account and its secret", { 200: R.Deleted }),
  action("/accounts/{id}/pause", "Pause an account", R.AccountResponse),
  action("/accounts/{id}/resume", "Resume an account", R.AccountResponse),

  ...credentialOps(
    "/keys",
    "Pool API key",
    Q.CreateKey,
    R.KeyResponse,
    R.KeySecretResponse,
    R.KeyListResponse,
  ),
  op(
    "patch",
    "/keys/{id}",
    "Change a key's label, policy (fields merge; null removes a cap) or dashboard access (off ends its sessions)",
    { 200: R.KeyResponse },
    { body: Q.UpdateKey },
  ),
  op("delete", "/keys/{id}", "Delete a key for good (it stops working; its dashboard sessions end)", {
    200: R.Deleted,
  }),
  op("get", "/keys/{id}/usage", "A key's requests this minute and requests and tokens today and this week", {
    200: R.KeyUsageResponse,
  }),
  action("/keys/{id}/pause", "Pause a key", R.KeyResponse),
  action("/keys/{id}/resume", "Resume a key", R.KeyResponse),
  ...credentialOps(
    "/mcp-tokens",
    "MCP token",
    Q.CreateMcpToken,
    R.TokenResponse,
    R.TokenSecretResponse,
    R.TokenListResponse,
  ),
  op(
    "patch",
    "/mcp-tokens/{id}",
    "Change an MCP token's label or scope",
    { 200: R.TokenResponse },
    { body: Q.UpdateToken },
  ),
  ...credentialOps(
    "/admin-tokens",
    "admin token",
    Q.CreateAdminToken,
    R.TokenResponse,
    R.TokenSecretResponse,
    R.TokenListResponse,
  ),
  op(
    "patch",
    "/admin-tokens/{id}",
    "Change an admin token's label or scope (owner only)",
    { 200: R.TokenResponse },
    { body: Q.UpdateToken },
  ),

  op(
    "get",
    "/request-logs",
    "Metadata-only request logs, newest first",
    { 200: R.RequestLogListResponse },
    { query: Q.LogQuery },
  ),
  op(
    "get",
    "/audit-events",
    "Audit events, newest first",
    { 200: R.AuditEventListResponse },
    { query: Q.PageQuery },
  ),
  op(
    "get",
    "/usage",
    "Usage totals from the daily rollups: requests, errors and tokens for UTC days since..until (default the last 7, at most 400), grouped by day, model, key, pool or account",
    { 200: R.UsageReport },
    { query: Q.UsageQuery },
  ),

  op("get", "/invites", "List invites", { 200: R.InviteListResponse }, { query: Q.InviteQuery }),
  op(
    "post",
    "/invites",
    "Create an invite (one-time URL in this answer only)",
    { 201: R.InviteCreateResponse },
    { body: Q.CreateInvite },
  ),
  op("get", "/invites/{id}", "One invite", { 200: R.InviteResponse }),
  action("/invites/{id}/revoke", "Revoke an invite", R.InviteResponse, { failures: conflict }),

  op("get", "/alert-rules", "List alert rules", { 200: R.AlertRuleListResponse }, { query: Q.RuleQuery }),
  op(
    "post",
    "/alert-rules",
    "Create an alert rule (alert_rule.create)",
    { 201: R.AlertRuleResponse },
    { body: Q.CreateAlertRule },
  ),
  op("get", "/alert-rules/{id}", "Alert rule detail", { 200: R.AlertRuleResponse }),
  op(
    "patch",
    "/alert-rules/{id}",
    "Change an alert rule (alert_rule.update); null resets a parameter",
    { 200: R.AlertRuleResponse },
    { body: Q.UpdateAlertRule },
  ),
  op(
    "delete",
    "/alert-rules/{id}",
    "Delete an alert rule and resolve its open incidents (alert_rule.delete)",
    { 200: R.Deleted },
  ),
  ...toggles("/alert-rules", "an alert rule", "alert_rule", R.AlertRuleResponse),
  op("get", "/alert-channels", "List alert channels (URL host, path start and fingerprint only)", {
    200: R.AlertChannelListResponse,
  }),
  op(
    "post",
    "/alert-channels",
    "Create a webhook channel (alert_channel.create); a generated signing secret is returned once",
    { 201: R.AlertChannelResponse },
    { body: Q.CreateAlertChannel },
  ),
  op("get", "/alert-channels/{id}", "Alert channel detail", { 200: R.AlertChannelResponse }),
  op(
    "patch",
    "/alert-channels/{id}",
    "Change a channel's name, URL, format or signing secret (alert_channel.update)",
    { 200: R.AlertChannelResponse },
    { body: Q.UpdateAlertChannel },
  ),
  op(
    "delete",
    "/alert-channels/{id}",
    "Delete a channel, its stored URL and secret, and its place in rules (alert_channel.delete)",
    { 200: R.Deleted },
  ),
  ...toggles("/alert-channels", "an alert channel", "alert_channel", R.AlertChannelResponse),
  action(
    "/alert-channels/{id}/test",
    "Send one signed test event now (no retry) and answer the attempt",
    R.AlertChannelTestResponse,
  ),
  op(
    "get",
    "/alert-incidents",
    "Alert incidents, newest first",
    { 200: R.AlertIncidentListResponse },
    { query: Q.IncidentQuery },
  ),
  op("get", "/alert-incidents/{id}", "Incident detail with its deliveries and their attempts", {
    200: R.AlertIncidentDetailResponse,
  }),
  action(
    "/alert-incidents/{id}/acknowledge",
    "Acknowledge an open incident: stops repeats (alert_incident.acknowledge)",
    R.AlertIncidentResponse,
    { failures: conflict },
  ),
  action(
    "/alert-incidents/{id}/resolve",
    "Resolve an incident (alert_incident.resolve)",
    R.AlertIncidentResponse,
    { failures: conflict },
  ),
  op(
    "post",
    "/alerts/evaluate",
    "Evaluate every active alert rule now and send pending deliveries; 409 while another run is going",
    { 200: R.AlertEvaluation },
    { body: Q.EvaluateBody, failures: { 409: "alert_evaluation_in_progress" } },
  ),
];

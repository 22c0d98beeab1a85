// The admin API's answers as the CLI reads them: each one the contract's schema
// (src/admin-contract/responses.ts) read leniently (src/admin-contract/lenient.ts), so additive
// server changes (new fields, new enum values, a nullable field left out) do not break the CLI. The
// second argument names what the CLI cannot do without. `--json` prints the response as received and
// never goes through these.
import { z } from "zod";
import type { Lenient } from "../admin-contract/lenient.ts";
import { lenient } from "../admin-contract/lenient.ts";
import * as C from "../admin-contract/responses.ts";

type Of<S extends z.ZodType, K extends PropertyKey> = Lenient<z.output<S>, K>;

export const PoolResponse = lenient(C.PoolResponse, ["pool", "name"]);
export const PoolListResponse = lenient(C.PoolListResponse, ["data", "name"]);
export type Pool = Of<typeof C.Pool, "name">;

export const AccountSchema = lenient(C.Account, ["id"]);
export type Account = Of<typeof C.Account, "id">;
export const AccountResponse = lenient(C.AccountResponse, ["account", "id"]);
export const AccountImportResponse = lenient(C.AccountImportResponse, ["account", "id"]);
export const AccountListResponse = lenient(C.AccountListResponse, ["data", "id"]);
export const AccountDeleteResponse = lenient(C.Deleted, ["id", "deleted"]);
export const KeyDeleteResponse = AccountDeleteResponse;

export const DeviceFlowResponse = lenient(C.DeviceFlowResponse, [
  "flow",
  "id",
  "verificationUrl",
  "userCode",
]);
export const BrowserFlowResponse = lenient(C.BrowserFlowResponse, ["flow", "id", "authorizeUrl"]);
/** A poll or callback answer: pending, slow_down, or complete with the account (one flat reading). */
export const LoginResult = lenient(z.object({ ...C.LoginComplete.shape, ...C.LoginPending.shape }), [
  "status",
  "id",
]);
export type LoginResult = z.output<typeof LoginResult>;

export type KeyPolicy = Of<typeof C.KeyPolicy, never>;
export type ApiKey = Of<typeof C.ApiKey, "id">;
export const KeyResponse = lenient(C.KeyResponse, ["key", "id"]);
export const KeySecretResponse = lenient(C.KeySecretResponse, ["key", "id", "secret"]);
export const KeyListResponse = lenient(C.KeyListResponse, ["data", "id"]);
export const KeyUsageResponse = lenient(C.KeyUsageResponse, ["keyId", "minute", "day", "week"]);

export type McpToken = Of<typeof C.Token, "id">;
export const McpTokenResponse = lenient(C.TokenResponse, ["token", "id"]);
export const McpTokenSecretResponse = lenient(C.TokenSecretResponse, ["token", "id", "secret"]);
export const McpTokenListResponse = lenient(C.TokenListResponse, ["data", "id"]);
export const WhoamiResponse = lenient(C.Whoami, ["actor", "role", "pools"]);

export type RequestLog = Of<typeof C.RequestLog, "id">;
export const RequestLogListResponse = lenient(C.RequestLogListResponse, ["data", "id"]);
export type AuditEvent = Of<typeof C.AuditEvent, "id">;
export const AuditEventListResponse = lenient(C.AuditEventListResponse, ["data", "id"]);

export const SettingsResponse = lenient(C.Settings, [
  "settings",
  "mcpEnabled",
  "enabled",
  "allow",
  "trustedProxies",
  "clientIpSource",
  "proxyDepth",
]);
export const AdmissionResponse = lenient(C.AdmissionResponse, ["enabled", "data", "routeClass"]);
export const UsageReport = lenient(C.UsageReport, ["since", "until", "groupBy", "data", "totals", "group"]);

export const InviteResponse = lenient(C.InviteResponse, ["invite", "id"]);
export const InviteCreateResponse = lenient(C.InviteCreateResponse, ["invite", "id", "url"]);
export const InviteListResponse = lenient(C.InviteListResponse, ["data", "id"]);

/** The admin API's error envelope. */
export const ApiErrorBody = lenient(C.ApiError, ["error", "message"]);

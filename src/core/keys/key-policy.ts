// Per-key policy: model allow-list, reasoning-effort ceiling, requests per minute, tokens per day
// and per week. Checked before any upstream call, in that order; a denial leaves a request-log row.
import { MAX_ALLOWED_MODELS, MODEL_ID, REASONING_EFFORTS } from "../../admin-contract/enums.ts";

export { MAX_ALLOWED_MODELS, MODEL_ID };

import type { CoreContext } from "../context.ts";
import { badRequest, GatewayError } from "../errors.ts";
import type { Credential, KeyPolicy, ReasoningEffort, RequestLog } from "../model.ts";
import type { UsageWindow } from "../ports.ts";
import { requestLogger } from "../request-log.ts";
import { keyWindows, secondsUntilEnd } from "./key-usage.ts";

const POLICY_FIELDS = [
  "allowedModels",
  "maxReasoningEffort",
  "requestsPerMinute",
  "tokensPerDay",
  "tokensPerWeek",
] as const satisfies readonly (keyof KeyPolicy)[];

/** What a route knows about a request, for the policy and for the row a denial leaves. */
export interface PolicyCheck {
  /** The requested model as the client sent it (undefined when absent). */
  model?: string;
  /**
   * The route names no model (file uploads, Codex's own transcription): the allow-list does not
   * apply there, the rate and token limits do.
   */
  modelless?: boolean;
  /** The requested effort as the client sent it (any JSON value; undefined when absent). */
  reasoningEffort?: unknown;
  /** Where the effort came from: `reasoning.effort` (Responses bodies) or `reasoning_effort` (Chat). */
  effortParam: "reasoning.effort" | "reasoning_effort";
  route: string;
  method?: string;
  transport?: RequestLog["transport"];
  startedAt: number;
}

/**
 * Throws the OpenAI-shaped error for the first rule the request breaks (model, then effort, then
 * rate and token limits) and logs the denial; otherwise counts the request and returns.
 */
export async function enforceKeyPolicy(ctx: CoreContext, key: Credential, check: PolicyCheck): Promise<void> {
  try {
    if (!check.modelless) checkModel(key.policy, check.model);
    checkEffort(key.policy, check.reasoningEffort, check.effortParam);
    await admit(ctx, key);
  } catch (error) {
    if (error instanceof GatewayError) {
      requestLogger(ctx, {
        at: check.startedAt,
        pool: key.pool,
        keyId: key.id,
        route: check.route,
        method: check.method ?? "POST",
        transport: check.transport ?? "http_sse",
        model: check.model,
      })({ status: error.status, errorCode: error.code });
    }
    throw error;
  }
}

function checkModel(policy: KeyPolicy | undefined, model: string | undefined): void {
  const allowed = policy?.allowedModels;
  if (!allowed || (model !== undefined && allowed.includes(model))) return;
  const shown = allowed.slice(0, 10).join(", ") + (allowed.length > 10 ? ", …" : "");
  throw new GatewayError(
    403,
    "model_not_allowed",
    allowed.length === 0
      ? "api key is not allowed to use this model; this key allows no models, ask an operator to change its policy"
      : `api key is not allowed to use this model; use one of: ${shown}`,
    { param: "model" },
  );
}

/** Above the ceiling (or not a known effort while a ceiling is set) is refused, never lowered. */
function checkEffort(
  policy: KeyPolicy | undefined,
  effort: unknown,
  param: PolicyCheck["effortParam"],
): void {
  const ceiling = policy?.maxReasoningEffort;
  if (!ceiling || effort === undefined || effort === null) return;
  const rank =
    typeof effort === "string" ? REASONING_EFFORTS.indexOf(effort.toLowerCase() as ReasoningEffort) : -1;
  if (rank >= 0 && rank <= REASONING_EFFORTS.indexOf(ceiling)) return;
  const allowed = REASONING_EFFORTS.slice(0, REASONING_EFFORTS.indexOf(ceiling) + 1).join(", ");
  throw new GatewayError(
    400,
    "reasoning_effort_not_allowed",
    `reasoning effort is not available for this API key; use one of: ${allowed}`,
    { param },
  );
}

const LIMIT_NAMES: Record<UsageWindow["kind"], { field: keyof KeyPolicy; name: string }> = {
  minute: { field: "requestsPerMinute", name: "requests per minute" },
  day: { field: "tokensPerDay", name: "tokens per day" },
  week: { field: "tokensPerWeek", name: "tokens per week" },
};

/**
 * Counts the request in the minute, day and week windows of a key with a rate or token limit: one
 * conditional single-item write (the key's week item holds the day's and the minute's counters too),
 * the count and the check one atomic step shared by every instance. Token limits
 * compare the tokens already reported, so requests in flight when a limit is crossed still finish.
 * Keys without limits pay no write here (their tokens are still counted, after the response).
 */
async function admit(ctx: CoreContext, key: Credential): Promise<void> {
  const policy = key.policy;
  if (!policy?.requestsPerMinute && !policy?.tokensPerDay && !policy?.tokensPerWeek) return;
  const now = ctx.clock.now();
  const windows = keyWindows(now);
  const refused = await ctx.store.keyUsage.admit(key.id, windows, {
    requestsPerMinute: policy.requestsPerMinute || undefined,
    tokensPerDay: policy.tokensPerDay || undefined,
    tokensPerWeek: policy.tokensPerWeek || undefined,
  });
  if (refused.length === 0) return;
  // The request cannot pass before the last of the exceeded windows resets.
  const latest = refused.map((kind) => windows[kind]).reduce((a, b) => (b.endsAt > a.endsAt ? b : a));
  const limit = LIMIT_NAMES[latest.kind];
  const retryAfter = secondsUntilEnd(latest, now);
  throw new GatewayError(
    429,
    "rate_limit_exceeded",
    `api key reached its limit of ${policy[limit.field]} ${limit.name}; it resets at ${new Date(latest.endsAt).toISOString()}. Please try again in ${retryAfter}s.`,
    { headers: { "retry-after": String(retryAfter) } },
  );
}

/** A policy change as the admin API takes it: a field absent keeps its value, null removes the cap. */
export type KeyPolicyInput = { [K in keyof KeyPolicy]?: KeyPolicy[K] | null };

/**
 * Applies a change to a key's policy; returns the new policy (undefined when nothing is capped)
 * and the names of the fields whose value changed.
 */
export function applyPolicy(
  current: KeyPolicy | undefined,
  input: KeyPolicyInput | undefined,
): { policy: KeyPolicy | undefined; changed: string[] } {
  const next: KeyPolicy = { ...current };
  const changed: string[] = [];
  for (const field of POLICY_FIELDS) {
    if (!input || !(field in input) || input[field] === undefined) continue;
    const value = checkField(field, input[field]);
    if (JSON.stringify(value) !== JSON.stringify(current?.[field])) changed.push(`policy.${field}`);
    if (value === undefined) delete next[field];
    else (next as Record<string, unknown>)[field] = value;
  }
  return { policy: Object.keys(next).length > 0 ? next : undefined, changed };
}

function checkField(field: (typeof POLICY_FIELDS)[number], value: unknown): unknown {
  if (value === null) return undefined;
  const param = `policy.${field}`;
  if (field === "allowedModels") {
    if (
      !Array.isArray(value) ||
      value.length > MAX_ALLOWED_MODELS ||
      !value.every((m) => typeof m === "string" && MODEL_ID.test(m))
    ) {
      throw badRequest(`${param} must be a list of at most ${MAX_ALLOWED_MODELS} model ids`, param);
    }
    return [...new Set(value as string[])];
  }
  if (field === "maxReasoningEffort") {
    if (!REASONING_EFFORTS.includes(value as ReasoningEffort)) {
      throw badRequest(`${param} must be one of: ${REASONING_EFFORTS.join(", ")}`, param);
    }
    return value;
  }
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw badRequest(`${param} must be a positive integer, or null for no cap`, param);
  }
  return value;
}

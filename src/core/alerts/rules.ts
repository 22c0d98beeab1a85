// Alert rule management: kind-specific parameters checked and defaulted, Pool and channels checked,
// every change audited with the original's action names (`alert_rule.create|update|enable|
// disable|delete`).
import { randomBytes } from "node:crypto";
import { ASSIGNMENT_STATES, AUTH_STATES, RULE_KIND_PARAMS, RULE_PARAMS } from "../../admin-contract/enums.ts";
import { recordAudit } from "../audit.ts";
import type { CoreContext } from "../context.ts";
import { badRequest, conflict, notFound } from "../errors.ts";
import { requirePool } from "../pools/pools.ts";
import { resolveForDeletedRule } from "./incidents.ts";
import type {
  AlertRule,
  AlertRuleKind,
  AlertSeverity,
  AssignmentState,
  AuthState,
  WindowSelector,
} from "./model.ts";

export interface RuleParams {
  model?: string | null;
  minUsableAssignments?: number | null;
  targetState?: string | null;
  windowSelector?: WindowSelector | null;
  thresholdUsedPercent?: number | null;
  windowMinutes?: number | null;
  thresholdErrorPercent?: number | null;
  minRequests?: number | null;
}

export interface CreateRuleInput extends RuleParams {
  pool: string;
  kind: AlertRuleKind;
  displayName?: string;
  severity?: AlertSeverity;
  cooldownMinutes?: number;
  channelIds?: string[];
}

export type UpdateRuleInput = Omit<CreateRuleInput, "pool" | "kind">;

type ParamName = keyof RuleParams;

const PARAMS = RULE_KIND_PARAMS;
const ALL_PARAMS: readonly ParamName[] = RULE_PARAMS;

/** The rule's parameters after `input` (null clears a parameter back to its default). */
function params(kind: AlertRuleKind, current: RuleParams, input: RuleParams): Partial<AlertRule> {
  const allowed = PARAMS[kind];
  for (const name of ALL_PARAMS) {
    if (input[name] !== undefined && input[name] !== null && !allowed.includes(name)) {
      throw badRequest(
        `${name} does not apply to ${kind}; it takes ${allowed.length ? allowed.join(", ") : "no parameters"}`,
        name,
      );
    }
  }
  const pick = <K extends ParamName>(name: K) =>
    input[name] === null ? undefined : (input[name] ?? current[name] ?? undefined);
  const out: Partial<AlertRule> = {};
  if (allowed.includes("model")) out.model = pick("model") ?? undefined;
  if (kind === "pool_low_usable_assignments") out.minUsableAssignments = pick("minUsableAssignments") ?? 2;
  if (kind === "upstream_quota_threshold") {
    out.windowSelector = pick("windowSelector") ?? "any";
    out.thresholdUsedPercent = pick("thresholdUsedPercent") ?? 100;
  }
  if (kind === "pool_error_rate_spike") {
    out.windowMinutes = pick("windowMinutes") ?? 15;
    out.thresholdErrorPercent = pick("thresholdErrorPercent") ?? 50;
    out.minRequests = pick("minRequests") ?? 10;
  }
  if (allowed.includes("targetState")) {
    const states: readonly string[] = kind === "upstream_auth_state" ? AUTH_STATES : ASSIGNMENT_STATES;
    const state = pick("targetState");
    if (!state || !states.includes(state)) {
      throw badRequest(`${kind} needs targetState, one of: ${states.join(", ")}`, "targetState");
    }
    out.targetState = state as AssignmentState | AuthState;
  }
  return out;
}

async function checkChannels(ctx: CoreContext, ids: string[] | undefined): Promise<string[] | undefined> {
  if (ids === undefined) return undefined;
  const unique = [...new Set(ids)];
  for (const id of unique) {
    if (!(await ctx.store.alerts.channels.get(id))) {
      throw badRequest(`alert channel ${id} does not exist; see \`pooler alert channel list\``, "channelIds");
    }
  }
  return unique;
}

export async function requireRule(ctx: CoreContext, id: string): Promise<AlertRule> {
  const rule = await ctx.store.alerts.rules.get(id);
  if (!rule)
    throw notFound(`alert rule ${id} does not exist; see \`pooler alert rule list\``, "alert_rule_not_found");
  return rule;
}

export async function createRule(
  ctx: CoreContext,
  input: CreateRuleInput,
  actor: string,
): Promise<AlertRule> {
  await requirePool(ctx, input.pool);
  const now = ctx.clock.now();
  const rule: AlertRule = {
    id: `alr_${randomBytes(8).toString("hex")}`,
    pool: input.pool,
    kind: input.kind,
    displayName: input.displayName ?? `${input.kind} (${input.pool})`,
    severity: input.severity ?? "warning",
    cooldownMinutes: input.cooldownMinutes ?? 30,
    state: "active",
    channelIds: (await checkChannels(ctx, input.channelIds)) ?? [],
    ...params(input.kind, {}, input),
    createdBy: actor,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.store.alerts.rules.create(rule);
  await recordAudit(ctx, {
    actor,
    action: "alert_rule.create",
    targetType: "alert_rule",
    targetId: rule.id,
    details: { pool: rule.pool, kind: rule.kind, severity: rule.severity, channels: rule.channelIds.length },
  });
  return rule;
}

export async function updateRule(
  ctx: CoreContext,
  id: string,
  input: UpdateRuleInput,
  actor: string,
): Promise<AlertRule> {
  const current = await requireRule(ctx, id);
  const patch: Partial<AlertRule> = {
    ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
    ...(input.severity !== undefined ? { severity: input.severity } : {}),
    ...(input.cooldownMinutes !== undefined ? { cooldownMinutes: input.cooldownMinutes } : {}),
    ...(input.channelIds !== undefined ? { channelIds: await checkChannels(ctx, input.channelIds) } : {}),
    ...params(current.kind, current, input),
    updatedAt: ctx.clock.now(),
  };
  const changed = Object.keys(patch).filter(
    (k) =>
      k !== "updatedAt" &&
      JSON.stringify(patch[k as keyof AlertRule]) !== JSON.stringify(current[k as keyof AlertRule]),
  );
  const rule = await ctx.store.alerts.rules.update(id, patch);
  await recordAudit(ctx, {
    actor,
    action: "alert_rule.update",
    targetType: "alert_rule",
    targetId: id,
    details: { pool: rule.pool, kind: rule.kind, changed: changed.join(",") },
  });
  return rule;
}

export async function setRuleState(
  ctx: CoreContext,
  id: string,
  action: "enable" | "disable",
  actor: string,
): Promise<AlertRule> {
  const current = await requireRule(ctx, id);
  const state = action === "enable" ? "active" : "disabled";
  if (current.state === state)
    throw conflict(`alert rule ${id} is already ${state}`, `alert_rule_already_${state}`);
  const rule = await ctx.store.alerts.rules.update(id, { state, updatedAt: ctx.clock.now() });
  await recordAudit(ctx, {
    actor,
    action: `alert_rule.${action}`,
    targetType: "alert_rule",
    targetId: id,
    details: { pool: rule.pool, kind: rule.kind, from: current.state, to: state },
  });
  return rule;
}

export async function deleteRule(ctx: CoreContext, id: string, actor: string): Promise<void> {
  const rule = await requireRule(ctx, id);
  const resolved = await resolveForDeletedRule(ctx, id, actor);
  await ctx.store.alerts.rules.delete(id);
  await recordAudit(ctx, {
    actor,
    action: "alert_rule.delete",
    targetType: "alert_rule",
    targetId: id,
    details: { pool: rule.pool, kind: rule.kind, resolvedIncidents: resolved },
  });
}

// `pooler alert rule list|show|create|update|enable|disable|delete`: what to watch in a pool.
import { type Command, InvalidArgumentError, Option } from "commander";
import { seg } from "../../admin-client.ts";
import type { CliDeps } from "../../context.ts";
import { CommandContext } from "../../context.ts";
import { nonEmpty } from "../../options.ts";
import { printLines } from "../../output.ts";
import { RULE_COLUMNS, ruleInfo } from "./format.ts";
import { KINDS, RuleAnswer, RuleList, SEVERITIES, WINDOWS } from "./schemas.ts";
import { addLifecycleCommands, printList } from "./shapes.ts";

function positive(value: string): number {
  const n = Number(value.trim());
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("Must be a positive number.");
  return n;
}
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The settings `create` and `update` share. */
function addRuleOptions(command: Command): Command {
  return command
    .option("--name <text>", "display name", nonEmpty("name"))
    .addOption(new Option("--severity <level>", "severity").choices(SEVERITIES))
    .option("--cooldown <minutes>", "minutes before the first repeat notification (5-1440)", positive)
    .option("--channel <id>", "notify this channel (repeat for several)", collect)
    .option("--model <id>", "pool kinds: only this model", nonEmpty("model"))
    .option("--min-usable <n>", "pool_low_usable_assignments: fire below this many usable accounts", positive)
    .option(
      "--target-state <state>",
      "pool_all_assignments_in_state / upstream_auth_state: the state to watch",
      nonEmpty("state"),
    )
    .addOption(
      new Option("--window <selector>", "upstream_quota_threshold: which quota window").choices(WINDOWS),
    )
    .option("--threshold <percent>", "upstream_quota_threshold: used percent that fires (1-100)", positive)
    .option("--window-minutes <n>", "pool_error_rate_spike: look-back (5-1440)", positive)
    .option(
      "--error-percent <percent>",
      "pool_error_rate_spike: failure percent that fires (1-100)",
      positive,
    )
    .option("--min-requests <n>", "pool_error_rate_spike: fewer requests never fire", positive);
}

interface RuleOptions {
  name?: string;
  severity?: string;
  cooldown?: number;
  channel?: string[];
  model?: string;
  minUsable?: number;
  targetState?: string;
  window?: string;
  threshold?: number;
  windowMinutes?: number;
  errorPercent?: number;
  minRequests?: number;
}

const ruleBody = (o: RuleOptions) => ({
  displayName: o.name,
  severity: o.severity,
  cooldownMinutes: o.cooldown,
  channelIds: o.channel,
  model: o.model,
  minUsableAssignments: o.minUsable,
  targetState: o.targetState,
  windowSelector: o.window,
  thresholdUsedPercent: o.threshold,
  windowMinutes: o.windowMinutes,
  thresholdErrorPercent: o.errorPercent,
  minRequests: o.minRequests,
});

/** A `{ rule }` answer as detail lines under `heading` (verbatim with --json). */
function printRule(ctx: CommandContext, raw: unknown, what: string, ...heading: string[]): void {
  ctx.emit(raw, RuleAnswer, what, ({ rule }) => printLines(ctx.io, ...heading, ...ruleInfo(rule)));
}

export function registerRuleCommands(alert: Command, deps: CliDeps): void {
  const rule = alert.command("rule").description("alert rules: what to watch in a pool");
  rule
    .command("list")
    .description("list alert rules")
    .option("--pool <name>", "only this pool", nonEmpty("pool name"))
    .action(async (opts: { pool?: string }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get("/admin/v1/alert-rules", { pool: opts.pool });
      printList(
        ctx,
        raw,
        RuleList,
        "alert rule list",
        RULE_COLUMNS,
        "No alert rules yet. Create one with `pooler alert rule create`.",
      );
    });
  rule
    .command("show")
    .description("show one alert rule")
    .argument("<id>", "rule id")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      printRule(ctx, await ctx.client().get(`/admin/v1/alert-rules/${seg(id)}`), "alert rule show");
    });
  addRuleOptions(
    rule
      .command("create")
      .description("create an alert rule")
      .requiredOption("--pool <name>", "the pool to watch", nonEmpty("pool name"))
      .addOption(new Option("--kind <kind>", "what to watch").choices(KINDS).makeOptionMandatory()),
  ).action(async (opts: RuleOptions & { pool: string; kind: string }, cmd: Command) => {
    const ctx = CommandContext.of(cmd, deps);
    const raw = await ctx
      .client()
      .post("/admin/v1/alert-rules", { pool: opts.pool, kind: opts.kind, ...ruleBody(opts) });
    printRule(ctx, raw, "alert rule create", "Created alert rule:");
  });
  addRuleOptions(
    rule.command("update").description("change an alert rule").argument("<id>", "rule id"),
  ).action(async (id: string, opts: RuleOptions, cmd: Command) => {
    const ctx = CommandContext.of(cmd, deps);
    const raw = await ctx.client().patch(`/admin/v1/alert-rules/${seg(id)}`, ruleBody(opts));
    printRule(ctx, raw, "alert rule update", "Updated alert rule:");
  });
  addLifecycleCommands(
    rule,
    deps,
    "rule",
    RuleAnswer.transform((r) => r.rule),
    "delete an alert rule (its open incidents are resolved)",
  );
}

// `pooler alert rule|channel|incident …` and `pooler alert evaluate`: the alerting admin API. One
// file per job beside this one: rules, channels, incidents, their schemas and their terminal format.
import type { Command } from "commander";
import type { CliDeps } from "../../context.ts";
import { CommandContext } from "../../context.ts";
import { printLines } from "../../output.ts";
import { registerChannelCommands } from "./channels.ts";
import { registerIncidentCommands } from "./incidents.ts";
import { registerRuleCommands } from "./rules.ts";
import { EvaluateResult } from "./schemas.ts";

export function registerAlertCommands(program: Command, deps: CliDeps): void {
  const alert = program.command("alert").description("alert rules, channels and incidents");
  registerRuleCommands(alert, deps);
  registerChannelCommands(alert, deps);
  registerIncidentCommands(alert, deps);
  alert
    .command("evaluate")
    .description("evaluate every active rule now and send pending notifications")
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().post("/admin/v1/alerts/evaluate");
      ctx.emit(raw, EvaluateResult, "alert evaluate", (r) =>
        printLines(
          ctx.io,
          `Evaluated ${r.rulesEvaluated} rule(s): ${r.opened} opened, ${r.repeated} repeated, ${r.resolved} resolved.`,
          `Deliveries: ${r.deliveries.attempted} attempted, ${r.deliveries.delivered} delivered, ${r.deliveries.retrying} to retry, ${r.deliveries.failed} failed.`,
        ),
      );
    });
}

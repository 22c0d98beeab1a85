// `pooler alert incident list|show|ack|resolve`: conditions that fired, and their deliveries.
import { type Command, Option } from "commander";
import { seg } from "../../admin-client.ts";
import type { CliDeps } from "../../context.ts";
import { CommandContext } from "../../context.ts";
import { limitOption, nonEmpty } from "../../options.ts";
import { printLines } from "../../output.ts";
import { INCIDENT_COLUMNS, incidentInfo, printDeliveries } from "./format.ts";
import { INCIDENT_STATES, IncidentAnswer, IncidentDetail, IncidentList } from "./schemas.ts";
import { printList } from "./shapes.ts";

export function registerIncidentCommands(alert: Command, deps: CliDeps): void {
  const incident = alert.command("incident").description("alert incidents: conditions that fired");
  incident
    .command("list")
    .description("list incidents, newest first")
    .addOption(new Option("--state <state>", "only this state").choices(INCIDENT_STATES))
    .option("--pool <name>", "only this pool", nonEmpty("pool name"))
    .addOption(limitOption())
    .action(async (opts: { state?: string; pool?: string; limit: number }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get("/admin/v1/alert-incidents", {
        state: opts.state,
        pool: opts.pool,
        limit: opts.limit,
      });
      printList(ctx, raw, IncidentList, "alert incident list", INCIDENT_COLUMNS, "No alert incidents.");
    });
  incident
    .command("show")
    .description("show an incident and its deliveries")
    .argument("<id>", "incident id")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get(`/admin/v1/alert-incidents/${seg(id)}`);
      ctx.emit(raw, IncidentDetail, "alert incident show", (r) => {
        printLines(ctx.io, ...incidentInfo(r.incident), "");
        printDeliveries(ctx.io, r.deliveries);
      });
    });
  for (const [name, path, verb] of [
    ["ack", "acknowledge", "Acknowledged"],
    ["resolve", "resolve", "Resolved"],
  ] as const) {
    incident
      .command(name)
      .description(
        name === "ack" ? "acknowledge an open incident (stops repeat notifications)" : "resolve an incident",
      )
      .argument("<id>", "incident id")
      .action(async (id: string, _opts: unknown, cmd: Command) => {
        const ctx = CommandContext.of(cmd, deps);
        const raw = await ctx.client().post(`/admin/v1/alert-incidents/${seg(id)}/${path}`);
        ctx.emit(raw, IncidentAnswer, `alert incident ${name}`, ({ incident: i }) =>
          printLines(ctx.io, `${verb} incident ${i.id} (${i.ruleKind ?? "-"}, pool ${i.pool ?? "-"}).`),
        );
      });
  }
}

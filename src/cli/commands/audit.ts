import type { Command } from "commander";
import type { CliDeps } from "../context.ts";
import { CommandContext } from "../context.ts";
import { redactSecrets } from "../errors.ts";
import { limitOption, MAX_LIMIT } from "../options.ts";
import { formatTime, printTable } from "../output.ts";
import type { AuditEvent } from "../schemas.ts";
import { AuditEventListResponse } from "../schemas.ts";

function target(event: AuditEvent): string {
  return [event.targetType, event.targetId].filter(Boolean).join(":");
}

function details(event: AuditEvent): string {
  const entries = Object.entries(event.details ?? {});
  if (entries.length === 0) return "";
  return redactSecrets(
    entries
      .map(([name, value]) => `${name}=${typeof value === "string" ? value : JSON.stringify(value)}`)
      .join(" "),
  );
}

export function registerAuditCommand(program: Command, deps: CliDeps): void {
  program
    .command("audit")
    .description("show recent admin/audit events (newest first)")
    .addOption(limitOption())
    .action(async (opts: { limit: number }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get("/admin/v1/audit-events", { limit: opts.limit });
      ctx.emit(raw, AuditEventListResponse, "audit", ({ data, nextCursor }) => {
        printTable(
          ctx.io,
          data,
          [
            { header: "TIME", value: (e) => formatTime(e.at) },
            { header: "ACTOR", value: (e) => e.actor, maxWidth: 24 },
            { header: "ACTION", value: (e) => e.action, maxWidth: 32 },
            { header: "TARGET", value: target, maxWidth: 40 },
            { header: "OUTCOME", value: (e) => e.outcome },
            { header: "DETAILS", value: details, maxWidth: 60 },
          ],
          "No audit events yet.",
        );
        if (nextCursor && data.length >= opts.limit && opts.limit < MAX_LIMIT) {
          ctx.io.stderr(`(showing the latest ${data.length}; use --limit up to ${MAX_LIMIT} to see more)\n`);
        }
      });
    });
}

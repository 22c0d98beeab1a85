// `pooler usage`: requests, errors and tokens from the daily usage rollups, as a table.
import { type Command, Option } from "commander";
import type { z } from "zod";
import { USAGE_GROUPS } from "../../admin-contract/enums.ts";
import type { CliDeps } from "../context.ts";
import { CommandContext } from "../context.ts";
import { nonEmpty } from "../options.ts";
import { type Column, formatCount, printLines, printTable } from "../output.ts";
import { UsageReport } from "../schemas.ts";

const GROUPS = USAGE_GROUPS;
type Group = (typeof GROUPS)[number];
type Row = Omit<z.output<typeof UsageReport>["data"][number], "group" | "byStatusClass" | "errorCodes"> & {
  group: string;
};

const HEADER: Record<Group, string> = {
  day: "DAY",
  model: "MODEL",
  key: "KEY",
  pool: "POOL",
  account: "ACCOUNT",
};

function columns(group: Group): Column<Row>[] {
  const head: Column<Row>[] = [{ header: HEADER[group], value: (r) => r.group, maxWidth: 40 }];
  if (group === "key" || group === "account") {
    head.push({ header: "LABEL", value: (r) => r.label, maxWidth: 32 });
    head.push({ header: "POOL", value: (r) => r.pool, maxWidth: 24 });
  }
  const n = (header: string, value: (r: Row) => number | null | undefined): Column<Row> => ({
    header,
    value: (r) => formatCount(value(r)),
    align: "right",
  });
  return [
    ...head,
    n("REQUESTS", (r) => r.requests),
    n("ERRORS", (r) => r.errors),
    n("INPUT", (r) => r.inputTokens),
    n("CACHED", (r) => r.cachedTokens),
    n("OUTPUT", (r) => r.outputTokens),
    n("REASONING", (r) => r.reasoningTokens),
    n("TOTAL", (r) => r.totalTokens),
  ];
}

export function registerUsageCommand(program: Command, deps: CliDeps): void {
  program
    .command("usage")
    .description("show requests, errors and tokens per UTC day from the usage rollups")
    .option("--pool <name>", "only this pool", nonEmpty("pool name"))
    .option("--key <id>", "only this key (id or sk-cxp-<id> prefix)", nonEmpty("key id"))
    .option("--since <date>", "first UTC day, YYYY-MM-DD (default: 6 days before --until)", nonEmpty("date"))
    .option("--until <date>", "last UTC day, YYYY-MM-DD (default: today)", nonEmpty("date"))
    .addOption(new Option("--group-by <what>", "one row per").choices(GROUPS).default("day"))
    .action(
      async (
        opts: { pool?: string; key?: string; since?: string; until?: string; groupBy: Group },
        cmd: Command,
      ) => {
        const ctx = CommandContext.of(cmd, deps);
        const raw = await ctx.client().get("/admin/v1/usage", {
          pool: opts.pool,
          key: opts.key,
          since: opts.since,
          until: opts.until,
          groupBy: opts.groupBy,
        });
        ctx.emit(raw, UsageReport, "usage", (usage) => {
          const group = opts.groupBy;
          const rows: Row[] = usage.data;
          if (rows.length === 0) {
            printLines(ctx.io, `No requests counted from ${usage.since} to ${usage.until} (UTC days).`);
            return;
          }
          const total: Row = { group: "total", ...usage.totals };
          printTable(ctx.io, [...rows, total], columns(group), "");
          printLines(ctx.io, `(UTC days ${usage.since} to ${usage.until})`);
        });
      },
    );
}

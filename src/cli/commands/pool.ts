import type { Command } from "commander";
import type { CliDeps } from "../context.ts";
import { CommandContext } from "../context.ts";
import { nonEmpty } from "../options.ts";
import { formatTime, printLines, printTable, quoted } from "../output.ts";
import { PoolListResponse, PoolResponse } from "../schemas.ts";

export function registerPoolCommands(program: Command, deps: CliDeps): void {
  const pool = program.command("pool").description("manage pools (groups of accounts behind Pool API keys)");

  pool
    .command("create")
    .description("create a pool")
    .argument("<name>", "pool name", nonEmpty("pool name"))
    .option("--strategy <strategy>", "routing strategy (server default when omitted)", nonEmpty("strategy"))
    .action(async (name: string, opts: { strategy?: string }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const body: { name: string; strategy?: string } = { name };
      if (opts.strategy !== undefined) body.strategy = opts.strategy;
      const raw = await ctx.client().post("/admin/v1/pools", body);
      ctx.emit(raw, PoolResponse, "pool create", ({ pool: created }) => {
        printLines(ctx.io, `Created pool ${quoted(created.name)} (strategy: ${created.strategy ?? "-"}).`);
      });
    });

  pool
    .command("list")
    .description("list pools")
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get("/admin/v1/pools");
      ctx.emit(raw, PoolListResponse, "pool list", ({ data }) => {
        printTable(
          ctx.io,
          data,
          [
            { header: "NAME", value: (p) => p.name },
            { header: "STRATEGY", value: (p) => p.strategy },
            { header: "ACCOUNTS", value: (p) => p.accountCount, align: "right" },
            { header: "KEYS", value: (p) => p.keyCount, align: "right" },
            { header: "CREATED", value: (p) => formatTime(p.createdAt) },
            { header: "UPDATED", value: (p) => formatTime(p.updatedAt) },
          ],
          "No pools yet. Create one with: pooler pool create NAME",
        );
      });
    });
}

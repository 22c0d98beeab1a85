import type { Command } from "commander";
import type { CliDeps } from "../context.ts";
import { CommandContext } from "../context.ts";
import { nonEmpty, parseRingSize } from "../options.ts";
import { formatTime, printLines, printTable, quoted } from "../output.ts";
import { PoolListResponse, PoolResponse } from "../schemas.ts";

export function registerPoolCommands(program: Command, deps: CliDeps): void {
  const pool = program.command("pool").description("manage pools (groups of accounts behind Pool API keys)");

  pool
    .command("create")
    .description("create a pool")
    .argument("<name>", "pool name", nonEmpty("pool name"))
    .option("--strategy <strategy>", "routing strategy (server default when omitted)", nonEmpty("strategy"))
    .option("--ring-size <n>", "how many accounts one request may try (1-16)", parseRingSize)
    .action(async (name: string, opts: { strategy?: string; ringSize?: number }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const body: { name: string; strategy?: string; ringSize?: number } = { name };
      if (opts.strategy !== undefined) body.strategy = opts.strategy;
      if (opts.ringSize !== undefined) body.ringSize = opts.ringSize;
      const raw = await ctx.client().post("/admin/v1/pools", body);
      ctx.emit(raw, PoolResponse, "pool create", ({ pool: created }) => {
        printLines(ctx.io, `Created pool ${quoted(created.name)} (strategy: ${created.strategy ?? "-"}).`);
      });
    });

  pool
    .command("update")
    .description("change a pool's routing strategy or ring size (see docs/routing.md)")
    .argument("<name>", "pool name", nonEmpty("pool name"))
    .option("--strategy <strategy>", "routing strategy", nonEmpty("strategy"))
    .option("--ring-size <n>", "how many accounts one request may try (1-16)", parseRingSize)
    .action(async (name: string, opts: { strategy?: string; ringSize?: number }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const body: { strategy?: string; ringSize?: number } = {};
      if (opts.strategy !== undefined) body.strategy = opts.strategy;
      if (opts.ringSize !== undefined) body.ringSize = opts.ringSize;
      const raw = await ctx.client().patch(`/admin/v1/pools/${encodeURIComponent(name)}`, body);
      ctx.emit(raw, PoolResponse, "pool update", ({ pool: updated }) => {
        printLines(
          ctx.io,
          `Updated pool ${quoted(updated.name)} (strategy: ${updated.strategy ?? "-"}, ring size: ${updated.ringSize ?? "-"}).`,
        );
      });
    });

  for (const [action, verb, description] of [
    ["disable", "Disabled", "refuse every key of a pool and end their dashboard sessions"],
    ["enable", "Enabled", "accept a disabled pool's keys again"],
  ] as const) {
    pool
      .command(action)
      .description(description)
      .argument("<name>", "pool name", nonEmpty("pool name"))
      .action(async (name: string, _opts: unknown, cmd: Command) => {
        const ctx = CommandContext.of(cmd, deps);
        const raw = await ctx.client().post(`/admin/v1/pools/${encodeURIComponent(name)}/${action}`);
        ctx.emit(raw, PoolResponse, `pool ${action}`, ({ pool: changed }) => {
          printLines(ctx.io, `${verb} pool ${quoted(changed.name)}.`);
        });
      });
  }

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
            { header: "RING", value: (p) => p.ringSize, align: "right" },
            { header: "ACCOUNTS", value: (p) => p.accountCount, align: "right" },
            { header: "KEYS", value: (p) => p.keyCount, align: "right" },
            { header: "CREATED", value: (p) => formatTime(p.createdAt) },
            { header: "UPDATED", value: (p) => formatTime(p.updatedAt) },
            { header: "STATE", value: (p) => (p.disabled ? "disabled" : "enabled") },
          ],
          "No pools yet. Create one with: pooler pool create NAME",
        );
      });
    });
}

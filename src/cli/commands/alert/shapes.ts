// The command shapes rules and channels share: a list printed as a table, and enable / disable /
// delete by id.
import type { Command } from "commander";
import type { z } from "zod";
import { seg } from "../../admin-client.ts";
import type { CliDeps } from "../../context.ts";
import { CommandContext } from "../../context.ts";
import type { Column } from "../../output.ts";
import { printLines, printTable } from "../../output.ts";
import { Deleted } from "./schemas.ts";

/** A `{ data: [...] }` answer as a table (verbatim with --json). */
export function printList<T>(
  ctx: CommandContext,
  raw: unknown,
  list: z.ZodType<{ data: T[] }>,
  what: string,
  columns: Column<T>[],
  empty: string,
): void {
  ctx.emit(raw, list, what, ({ data }) => printTable(ctx.io, data, columns, empty));
}

/**
 * `alert <noun> enable|disable|delete <id>` against `/admin/v1/alert-<noun>s`; `answer` reads the
 * changed object out of the enable/disable answer.
 */
export function addLifecycleCommands(
  parent: Command,
  deps: CliDeps,
  noun: "rule" | "channel",
  answer: z.ZodType<{ id: string; state?: string | null }>,
  deleteDescription: string,
): void {
  const path = `/admin/v1/alert-${noun}s`;
  for (const action of ["enable", "disable"] as const) {
    parent
      .command(action)
      .description(`${action} an alert ${noun}`)
      .argument("<id>", `${noun} id`)
      .action(async (id: string, _opts: unknown, cmd: Command) => {
        const ctx = CommandContext.of(cmd, deps);
        const raw = await ctx.client().post(`${path}/${seg(id)}/${action}`);
        ctx.emit(raw, answer, `alert ${noun} ${action}`, (r) =>
          printLines(ctx.io, `Alert ${noun} ${r.id} is now ${r.state}.`),
        );
      });
  }
  parent
    .command("delete")
    .description(deleteDescription)
    .argument("<id>", `${noun} id`)
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().delete(`${path}/${seg(id)}`);
      ctx.emit(raw, Deleted, `alert ${noun} delete`, (r) =>
        printLines(ctx.io, `Deleted alert ${noun} ${r.id}.`),
      );
    });
}

import type { Command } from "commander";
import { seg } from "../admin-client.ts";
import type { CliDeps } from "../context.ts";
import { CommandContext } from "../context.ts";
import { nonEmpty } from "../options.ts";
import { formatTime, printLines, printSecret, printTable, quoted } from "../output.ts";
import type { ApiKey } from "../schemas.ts";
import { KeyListResponse, KeyResponse, KeySecretResponse } from "../schemas.ts";

function keyInfo(key: ApiKey): string[] {
  return [
    `  id:     ${key.id}`,
    `  prefix: ${key.prefix ?? "-"}`,
    `  pool:   ${key.pool ?? "-"}`,
    `  label:  ${key.label ?? "-"}`,
    `  status: ${key.status ?? "-"}`,
  ];
}

export function registerKeyCommands(program: Command, deps: CliDeps): void {
  const key = program.command("key").description("manage Pool API keys (sk-cxp-…)");

  key
    .command("create")
    .description("create a Pool API key; the raw key is printed once, as the last line")
    .requiredOption("--pool <name>", "pool the key routes to", nonEmpty("pool name"))
    .option("--label <label>", "label for the key", nonEmpty("label"))
    .action(async (opts: { pool: string; label?: string }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const body: { pool: string; label?: string } = { pool: opts.pool };
      if (opts.label !== undefined) body.label = opts.label;
      const raw = await ctx.client().post("/admin/v1/keys", body);
      ctx.emit(raw, KeySecretResponse, "key create", ({ key: created, secret }) => {
        printSecret(
          ctx.io,
          [`Created Pool API key for pool ${quoted(created.pool)}.`, ...keyInfo(created)],
          secret,
          "key",
        );
      });
    });

  key
    .command("list")
    .description("list Pool API keys (prefixes only)")
    .option("--pool <name>", "only keys of this pool", nonEmpty("pool name"))
    .action(async (opts: { pool?: string }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get("/admin/v1/keys", { pool: opts.pool });
      ctx.emit(raw, KeyListResponse, "key list", ({ data }) => {
        printTable(
          ctx.io,
          data,
          [
            { header: "ID", value: (k) => k.id },
            { header: "PREFIX", value: (k) => k.prefix },
            { header: "POOL", value: (k) => k.pool, maxWidth: 32 },
            { header: "LABEL", value: (k) => k.label, maxWidth: 24 },
            { header: "STATUS", value: (k) => k.status },
            { header: "CREATED", value: (k) => formatTime(k.createdAt) },
            { header: "LAST USED", value: (k) => formatTime(k.lastUsedAt) },
            { header: "REVOKED", value: (k) => formatTime(k.revokedAt) },
          ],
          opts.pool
            ? `No keys for pool ${quoted(opts.pool)}.`
            : "No keys yet. Create one with: pooler key create --pool NAME",
        );
      });
    });

  const transitions = [
    ["pause", "Paused", "stop accepting a key (can be resumed)"],
    ["resume", "Resumed", "accept a paused key again"],
    ["revoke", "Revoked", "revoke a key permanently"],
  ] as const;
  for (const [action, verb, description] of transitions) {
    key
      .command(action)
      .description(description)
      .argument("<id>", "key id", nonEmpty("key id"))
      .action(async (id: string, _opts: unknown, cmd: Command) => {
        const ctx = CommandContext.of(cmd, deps);
        const raw = await ctx.client().post(`/admin/v1/keys/${seg(id)}/${action}`);
        ctx.emit(raw, KeyResponse, `key ${action}`, ({ key: updated }) => {
          printLines(
            ctx.io,
            `${verb} key ${updated.id} (${updated.prefix ?? "-"}); status: ${updated.status ?? "-"}.`,
          );
        });
      });
  }

  key
    .command("rotate")
    .description("replace a key's secret; the old one stops working, the new one is printed once")
    .argument("<id>", "key id", nonEmpty("key id"))
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().post(`/admin/v1/keys/${seg(id)}/rotate`);
      ctx.emit(raw, KeySecretResponse, "key rotate", ({ key: rotated, secret }) => {
        printSecret(ctx.io, [`Rotated Pool API key ${rotated.id}.`, ...keyInfo(rotated)], secret, "key");
      });
    });
}

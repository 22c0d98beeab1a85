import type { Command } from "commander";
import { seg } from "../admin-client.ts";
import { readAuthJson } from "../auth-file.ts";
import type { CliDeps } from "../context.ts";
import { CommandContext } from "../context.ts";
import { redactSecrets } from "../errors.ts";
import { nonEmpty } from "../options.ts";
import { formatTime, printLines, printTable, quoted } from "../output.ts";
import type { Account } from "../schemas.ts";
import {
  AccountDeleteResponse,
  AccountImportResponse,
  AccountListResponse,
  AccountResponse,
} from "../schemas.ts";
import { registerAccountLogin } from "./account-login.ts";

const percent = (value: number | null | undefined) =>
  value === null || value === undefined ? "-" : `${value}%`;

function describe(account: Account): string {
  return account.label ? `${quoted(account.label)} (${account.id})` : account.id;
}

export function registerAccountCommands(program: Command, deps: CliDeps): void {
  const account = program.command("account").description("manage upstream ChatGPT/Codex accounts");

  account
    .command("import")
    .description("import an account from a Codex auth.json (never printed, never stored by the CLI)")
    .requiredOption("--pool <name>", "pool to add the account to", nonEmpty("pool name"))
    .requiredOption("--auth-json <file>", "path to the Codex auth.json, or - to read it from stdin")
    .option("--label <label>", "label for the account", nonEmpty("label"))
    .action(async (opts: { pool: string; authJson: string; label?: string }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const client = ctx.client(); // fail on a missing token before reading credentials
      if (opts.authJson === "-" && deps.stdin.isTTY) {
        deps.io.stderr("Reading auth.json from stdin (end with Ctrl-D)...\n");
      }
      const authJson = await readAuthJson(opts.authJson, deps.stdin);
      const body: { pool: string; authJson: Record<string, unknown>; label?: string } = {
        pool: opts.pool,
        authJson,
      };
      if (opts.label !== undefined) body.label = opts.label;
      const raw = await client.post("/admin/v1/accounts/import", body);
      ctx.emit(raw, AccountImportResponse, "account import", ({ account: imported, warnings }) => {
        for (const warning of warnings ?? []) ctx.warn(redactSecrets(warning));
        printLines(
          ctx.io,
          `Imported account ${describe(imported)} into pool ${quoted(opts.pool)}.`,
          `  status: ${imported.status ?? "-"}  plan: ${imported.planType ?? "-"}  email: ${imported.email ?? "-"}`,
          `  access token expires: ${formatTime(imported.accessTokenExpiresAt)}`,
        );
      });
      // With --json the warnings are part of the printed JSON; still surface them on stderr.
      if (ctx.json) {
        const parsed = AccountImportResponse.safeParse(raw);
        if (parsed.success)
          for (const warning of parsed.data.warnings ?? []) ctx.warn(redactSecrets(warning));
      }
    });

  registerAccountLogin(account, deps);

  account
    .command("list")
    .description("list accounts")
    .option("--pool <name>", "only accounts in this pool", nonEmpty("pool name"))
    .action(async (opts: { pool?: string }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get("/admin/v1/accounts", { pool: opts.pool });
      ctx.emit(raw, AccountListResponse, "account list", ({ data }) => {
        printTable(
          ctx.io,
          data,
          [
            { header: "ID", value: (a) => a.id },
            { header: "LABEL", value: (a) => a.label, maxWidth: 24 },
            { header: "POOLS", value: (a) => a.pools?.join(","), maxWidth: 32 },
            { header: "STATUS", value: (a) => a.status },
            { header: "PLAN", value: (a) => a.planType },
            { header: "EMAIL", value: (a) => a.email, maxWidth: 32 },
            { header: "TOKEN EXPIRES", value: (a) => formatTime(a.accessTokenExpiresAt) },
            { header: "5H USED", value: (a) => percent(a.quota?.primaryUsedPercent) },
            { header: "5H RESETS", value: (a) => formatTime(a.quota?.primaryResetAt) },
            { header: "WEEK USED", value: (a) => percent(a.quota?.secondaryUsedPercent) },
            { header: "WEEK RESETS", value: (a) => formatTime(a.quota?.secondaryResetAt) },
            { header: "OUT UNTIL", value: (a) => formatTime(a.quota?.exhaustedUntil) },
            { header: "LAST REFRESH", value: (a) => formatTime(a.lastRefreshAt) },
            { header: "LAST SUCCESS", value: (a) => formatTime(a.lastSuccessAt) },
            { header: "LAST ERROR", value: (a) => a.lastErrorCode, maxWidth: 32 },
          ],
          opts.pool
            ? `No accounts in pool ${quoted(opts.pool)}.`
            : "No accounts yet. Import one with: pooler account import --pool NAME --auth-json ~/.codex/auth.json",
        );
      });
    });

  for (const [action, verb] of [
    ["pause", "Paused"],
    ["resume", "Resumed"],
  ] as const) {
    account
      .command(action)
      .description(
        action === "pause" ? "stop routing requests to an account" : "route requests to an account again",
      )
      .argument("<id>", "account id", nonEmpty("account id"))
      .action(async (id: string, _opts: unknown, cmd: Command) => {
        const ctx = CommandContext.of(cmd, deps);
        const raw = await ctx.client().post(`/admin/v1/accounts/${seg(id)}/${action}`);
        ctx.emit(raw, AccountResponse, `account ${action}`, ({ account: updated }) => {
          printLines(ctx.io, `${verb} account ${describe(updated)}; status: ${updated.status ?? "-"}.`);
        });
      });
  }

  account
    .command("remove")
    .description("remove an account and its stored credentials")
    .argument("<id>", "account id", nonEmpty("account id"))
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().delete(`/admin/v1/accounts/${seg(id)}`);
      ctx.emit(raw, AccountDeleteResponse, "account remove", (res) => {
        printLines(ctx.io, `Removed account ${res.id}.`);
      });
    });
}

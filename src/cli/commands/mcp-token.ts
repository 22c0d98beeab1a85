import type { Command } from "commander";
import { seg } from "../admin-client.ts";
import type { CliDeps } from "../context.ts";
import { CommandContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { collect, nonEmpty, parseRole } from "../options.ts";
import { formatTime, printJson, printLines, printSecret, printTable } from "../output.ts";
import {
  type McpToken,
  McpTokenListResponse,
  McpTokenResponse,
  McpTokenSecretResponse,
  WhoamiResponse,
} from "../schemas.ts";

interface TokenFamily {
  command: string;
  path: string;
  noun: string;
  scheme: string;
}

const FAMILIES: TokenFamily[] = [
  { command: "mcp-token", path: "/admin/v1/mcp-tokens", noun: "MCP token", scheme: "mcp-cxp-…" },
  { command: "admin-token", path: "/admin/v1/admin-tokens", noun: "admin token", scheme: "adm-cxp-…" },
  // Operators are the holders of admin tokens: the same commands, named for who they are.
  {
    command: "operator",
    path: "/admin/v1/admin-tokens",
    noun: "operator (admin token)",
    scheme: "adm-cxp-…",
  },
];

export function registerMcpTokenCommands(program: Command, deps: CliDeps): void {
  for (const family of FAMILIES) registerTokenFamily(program, deps, family);
  program.commands
    .find((c) => c.name() === "operator")
    ?.command("whoami")
    .description("show the calling token's role and assigned Pools")
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get("/admin/v1/whoami");
      ctx.emit(raw, WhoamiResponse, "operator whoami", (who) => {
        printLines(
          ctx.io,
          `actor: ${who.actor}`,
          `role:  ${roleName(who.role)}`,
          `pools: ${who.role === "owner" ? "all" : who.pools.join(", ") || "-"}`,
        );
      });
    });
}

interface ScopeOptions {
  role?: ReturnType<typeof parseRole>;
  pool?: string[];
}

const roleName = (role: string | null | undefined) =>
  role === "pool_admin" ? "pool-admin" : (role ?? "owner");
const scopeText = (t: McpToken) =>
  t.role === "pool_admin" ? `pool-admin: ${(t.pools ?? []).join(",")}` : "owner";

/** The admin API's role/pools fields from --role and --pool. */
function scopeBody(opts: ScopeOptions): { role?: string; pools?: string[] } {
  const body: { role?: string; pools?: string[] } = {};
  if (opts.role !== undefined) body.role = opts.role;
  if (opts.pool !== undefined) body.pools = opts.pool;
  return body;
}

function scopeOptions(command: Command, noun: string): Command {
  return command
    .option(
      "--role <role>",
      `owner (every Pool, the default) or pool-admin (only the --pool Pools)`,
      parseRole,
    )
    .option(
      "--pool <name>",
      `a Pool the ${noun} is limited to (repeat for more; implies --role pool-admin)`,
      collect("pool"),
    );
}

/** MCP and admin tokens share one lifecycle: create (shown once), list, rotate, revoke. */
function registerTokenFamily(program: Command, deps: CliDeps, family: TokenFamily): void {
  const { noun, path } = family;
  const mcp = program.command(family.command).description(`manage ${noun}s (${family.scheme})`);

  scopeOptions(
    mcp
      .command("create")
      .description(`create an ${noun}; the raw token is printed once, as the last line`)
      .option("--label <label>", "label for the token", nonEmpty("label")),
    noun,
  ).action(async (opts: { label?: string } & ScopeOptions, cmd: Command) => {
    const ctx = CommandContext.of(cmd, deps);
    const body: { label?: string; role?: string; pools?: string[] } = scopeBody(opts);
    if (opts.label !== undefined) body.label = opts.label;
    const raw = await ctx.client().post(path, body);
    ctx.emit(raw, McpTokenSecretResponse, `${family.command} create`, ({ token, secret }) => {
      printSecret(
        ctx.io,
        [
          `Created ${noun}.`,
          `  id:     ${token.id}`,
          `  prefix: ${token.prefix ?? "-"}`,
          `  label:  ${token.label ?? "-"}`,
          `  scope:  ${scopeText(token)}`,
        ],
        secret,
        "token",
      );
    });
  });

  mcp
    .command("list")
    .description(`list ${noun}s (prefixes only)`)
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get(path);
      ctx.emit(raw, McpTokenListResponse, `${family.command} list`, ({ data }) => {
        printTable(
          ctx.io,
          data,
          [
            { header: "ID", value: (t) => t.id },
            { header: "PREFIX", value: (t) => t.prefix },
            { header: "LABEL", value: (t) => t.label, maxWidth: 24 },
            { header: "STATUS", value: (t) => t.status },
            { header: "SCOPE", value: scopeText, maxWidth: 40 },
            { header: "CREATED", value: (t) => formatTime(t.createdAt) },
            { header: "LAST USED", value: (t) => formatTime(t.lastUsedAt) },
          ],
          `No ${noun}s yet. Create one with: pooler ${family.command} create`,
        );
      });
    });

  scopeOptions(
    mcp
      .command("scope")
      .description(`change an ${noun}'s role and Pools (applies within seconds; audited)`)
      .argument("<id>", "token id", nonEmpty("token id")),
    noun,
  ).action(async (id: string, opts: ScopeOptions, cmd: Command) => {
    const ctx = CommandContext.of(cmd, deps);
    const body = scopeBody(opts);
    if (Object.keys(body).length === 0) {
      throw new CliError("Name the new scope: --role owner, or --pool <name> (repeatable).");
    }
    const raw = await ctx.client().patch(`${path}/${seg(id)}`, body);
    ctx.emit(raw, McpTokenResponse, `${family.command} scope`, ({ token }) => {
      printLines(ctx.io, `${noun} ${token.id} now has scope ${scopeText(token)}.`);
    });
  });

  mcp
    .command("rotate")
    .description(`give an ${noun} a new secret (printed once, as the last line); the old one stops working`)
    .argument("<id>", "token id", nonEmpty("token id"))
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().post(`${path}/${seg(id)}/rotate`);
      ctx.emit(raw, McpTokenSecretResponse, `${family.command} rotate`, ({ token, secret }) => {
        printSecret(ctx.io, [`Rotated ${noun} ${token.id}.`], secret, "token");
      });
    });

  mcp
    .command("revoke")
    .description(`revoke an ${noun} permanently`)
    .argument("<id>", "token id", nonEmpty("token id"))
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().post(`${path}/${seg(id)}/revoke`);
      if (ctx.json) {
        printJson(ctx.io, raw);
        return;
      }
      // The revoke answer is expected to be {"token"}; tolerate any other 2xx body.
      const parsed = McpTokenResponse.safeParse(raw);
      printLines(
        ctx.io,
        parsed.success
          ? `Revoked ${noun} ${parsed.data.token.id} (${parsed.data.token.prefix ?? "-"}); status: ${parsed.data.token.status ?? "-"}.`
          : `Revoked ${noun} ${id}.`,
      );
    });
}

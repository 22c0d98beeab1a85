import type { Command } from "commander";
import { seg } from "../admin-client.ts";
import type { CliDeps } from "../context.ts";
import { CommandContext } from "../context.ts";
import { nonEmpty } from "../options.ts";
import { formatTime, printJson, printLines, printSecret, printTable } from "../output.ts";
import { McpTokenListResponse, McpTokenResponse, McpTokenSecretResponse } from "../schemas.ts";

interface TokenFamily {
  command: string;
  path: string;
  noun: string;
  scheme: string;
}

const FAMILIES: TokenFamily[] = [
  { command: "mcp-token", path: "/admin/v1/mcp-tokens", noun: "MCP token", scheme: "mcp-cxp-…" },
  { command: "admin-token", path: "/admin/v1/admin-tokens", noun: "admin token", scheme: "adm-cxp-…" },
];

export function registerMcpTokenCommands(program: Command, deps: CliDeps): void {
  for (const family of FAMILIES) registerTokenFamily(program, deps, family);
}

/** MCP and admin tokens share one lifecycle: create (shown once), list, rotate, revoke. */
function registerTokenFamily(program: Command, deps: CliDeps, family: TokenFamily): void {
  const { noun, path } = family;
  const mcp = program.command(family.command).description(`manage ${noun}s (${family.scheme})`);

  mcp
    .command("create")
    .description(`create an ${noun}; the raw token is printed once, as the last line`)
    .option("--label <label>", "label for the token", nonEmpty("label"))
    .action(async (opts: { label?: string }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const body: { label?: string } = {};
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
            { header: "CREATED", value: (t) => formatTime(t.createdAt) },
            { header: "LAST USED", value: (t) => formatTime(t.lastUsedAt) },
          ],
          `No ${noun}s yet. Create one with: pooler ${family.command} create`,
        );
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

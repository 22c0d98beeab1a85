import type { Command } from "commander";
import { seg } from "../admin-client.ts";
import type { CliDeps } from "../context.ts";
import { CommandContext } from "../context.ts";
import { nonEmpty } from "../options.ts";
import { formatTime, printJson, printLines, printSecret, printTable } from "../output.ts";
import { McpTokenListResponse, McpTokenResponse, McpTokenSecretResponse } from "../schemas.ts";

export function registerMcpTokenCommands(program: Command, deps: CliDeps): void {
  const mcp = program.command("mcp-token").description("manage MCP tokens (mcp-cxp-…)");

  mcp
    .command("create")
    .description("create an MCP token; the raw token is printed once, as the last line")
    .option("--label <label>", "label for the token", nonEmpty("label"))
    .action(async (opts: { label?: string }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const body: { label?: string } = {};
      if (opts.label !== undefined) body.label = opts.label;
      const raw = await ctx.client().post("/admin/v1/mcp-tokens", body);
      ctx.emit(raw, McpTokenSecretResponse, "mcp-token create", ({ token, secret }) => {
        printSecret(
          ctx.io,
          [
            "Created MCP token.",
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
    .description("list MCP tokens (prefixes only)")
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get("/admin/v1/mcp-tokens");
      ctx.emit(raw, McpTokenListResponse, "mcp-token list", ({ data }) => {
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
          "No MCP tokens yet. Create one with: pooler mcp-token create",
        );
      });
    });

  mcp
    .command("revoke")
    .description("revoke an MCP token permanently")
    .argument("<id>", "token id", nonEmpty("token id"))
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().post(`/admin/v1/mcp-tokens/${seg(id)}/revoke`);
      if (ctx.json) {
        printJson(ctx.io, raw);
        return;
      }
      // The revoke answer is expected to be {"token"}; tolerate any other 2xx body.
      const parsed = McpTokenResponse.safeParse(raw);
      printLines(
        ctx.io,
        parsed.success
          ? `Revoked MCP token ${parsed.data.token.id} (${parsed.data.token.prefix ?? "-"}); status: ${parsed.data.token.status ?? "-"}.`
          : `Revoked MCP token ${id}.`,
      );
    });
}

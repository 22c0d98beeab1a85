// `pooler invite`: one-time URLs that let a teammate sign a ChatGPT account into a Pool with the
// device code, without handing over an auth.json (docs/invites.md).
import { type Command, Option } from "commander";
import { INVITE_STATUSES } from "../../admin-contract/enums.ts";
import { seg } from "../admin-client.ts";
import type { CliDeps } from "../context.ts";
import { CommandContext } from "../context.ts";
import { nonEmpty } from "../options.ts";
import { formatTime, printLines, printTable } from "../output.ts";
import { InviteCreateResponse, InviteListResponse, InviteResponse } from "../schemas.ts";

const STATUSES = [...INVITE_STATUSES];

export function registerInviteCommands(program: Command, deps: CliDeps): void {
  const invite = program
    .command("invite")
    .description("invite a teammate to lend a ChatGPT account to a Pool (one-time URL, 24 h)");

  invite
    .command("create")
    .description("create an invite; the one-time URL is printed once, as the last line")
    .requiredOption("--pool <name>", "the Pool the account will serve", nonEmpty("pool"))
    .requiredOption("--email <email>", "who the invite is for", nonEmpty("email"))
    .option("--label <label>", "label for the account it adds", nonEmpty("label"))
    .option(
      "--base-url <url>",
      "public gateway URL to put in the link (on AWS without a custom domain: the GatewayUrl output)",
      nonEmpty("base URL"),
    )
    .action(async (opts: { pool: string; email: string; label?: string; baseUrl?: string }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const body: { pool: string; email: string; label?: string } = { pool: opts.pool, email: opts.email };
      if (opts.label !== undefined) body.label = opts.label;
      const raw = await ctx.client().post("/admin/v1/invites", body);
      ctx.emit(raw, InviteCreateResponse, "invite create", ({ invite: created, url }) => {
        const link = opts.baseUrl ? `${opts.baseUrl.replace(/\/+$/, "")}${new URL(url).pathname}` : url;
        printLines(
          ctx.io,
          `Created invite ${created.id} for Pool ${created.pool ?? opts.pool} (expires ${formatTime(created.expiresAt)}).`,
          "Send this URL to the teammate; it works once and is shown only now:",
          link,
        );
      });
    });

  invite
    .command("list")
    .description("list invites")
    .option("--pool <name>", "only this Pool's invites", nonEmpty("pool"))
    .addOption(new Option("--status <status>", "only invites in this status").choices(STATUSES))
    .action(async (opts: { pool?: string; status?: string }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const query = new URLSearchParams();
      if (opts.pool) query.set("pool", opts.pool);
      if (opts.status) query.set("status", opts.status);
      const raw = await ctx.client().get(`/admin/v1/invites${query.size ? `?${query}` : ""}`);
      ctx.emit(raw, InviteListResponse, "invite list", ({ data }) => {
        printTable(
          ctx.io,
          data,
          [
            { header: "ID", value: (i) => i.id },
            { header: "POOL", value: (i) => i.pool },
            { header: "EMAIL", value: (i) => i.email, maxWidth: 28 },
            { header: "STATUS", value: (i) => i.status },
            { header: "CREATED", value: (i) => formatTime(i.createdAt) },
            { header: "EXPIRES", value: (i) => formatTime(i.expiresAt) },
            { header: "ACCOUNT", value: (i) => i.accountId },
          ],
          "No invites. Create one with: pooler invite create --pool NAME --email ADDRESS",
        );
      });
    });

  invite
    .command("revoke")
    .description("revoke an active invite; its URL stops working at once")
    .argument("<id>", "invite id (inv_…)", nonEmpty("invite id"))
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().post(`/admin/v1/invites/${seg(id)}/revoke`);
      ctx.emit(raw, InviteResponse, "invite revoke", ({ invite: revoked }) => {
        printLines(ctx.io, `Revoked invite ${revoked.id}; status: ${revoked.status ?? "-"}.`);
      });
    });
}

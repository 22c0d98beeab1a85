// `pooler alert channel list|create|update|enable|disable|delete|test`: signed HTTPS webhooks.
import { type Command, Option } from "commander";
import { seg } from "../../admin-client.ts";
import type { CliDeps } from "../../context.ts";
import { CommandContext } from "../../context.ts";
import { CliError } from "../../errors.ts";
import { nonEmpty } from "../../options.ts";
import { printLines } from "../../output.ts";
import { CHANNEL_COLUMNS, channelInfo, lastAttemptText, secretLines } from "./format.ts";
import { ChannelAnswer, ChannelList, ChannelTest, FORMATS } from "./schemas.ts";
import { addLifecycleCommands, printList } from "./shapes.ts";

/** Reads a value from the named environment variable (keeps URLs and secrets out of process lists). */
function fromEnv(deps: CliDeps, name: string | undefined, what: string): string | undefined {
  if (name === undefined) return undefined;
  const value = deps.env[name]?.trim();
  if (!value) throw new CliError(`${what}: environment variable ${name} is not set or empty`);
  return value;
}

/** A `{ channel, secret? }` answer as detail lines, then the one-time secret (verbatim with --json). */
function printChannel(ctx: CommandContext, raw: unknown, what: string, heading: string): void {
  ctx.emit(raw, ChannelAnswer, what, (r) =>
    printLines(ctx.io, heading, ...channelInfo(r.channel), ...secretLines(r.secret)),
  );
}

export function registerChannelCommands(alert: Command, deps: CliDeps): void {
  const channel = alert.command("channel").description("alert channels: signed HTTPS webhooks");
  channel
    .command("list")
    .description("list alert channels (URL host and fingerprint only)")
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get("/admin/v1/alert-channels");
      printList(
        ctx,
        raw,
        ChannelList,
        "alert channel list",
        CHANNEL_COLUMNS,
        "No alert channels yet. Create one with `pooler alert channel create`.",
      );
    });
  channel
    .command("create")
    .description("create a webhook channel; prints a generated signing secret once")
    .requiredOption("--name <text>", "channel name", nonEmpty("name"))
    .option(
      "--webhook-url <url>",
      "the https:// URL to POST to (visible in process lists: prefer --webhook-url-env)",
    )
    .option("--webhook-url-env <name>", "read the URL from this environment variable")
    .option(
      "--secret-env <name>",
      "read the signing secret from this environment variable (default: generate one)",
    )
    .addOption(new Option("--format <format>", "payload format").choices(FORMATS).default("json"))
    .action(
      async (
        opts: {
          name: string;
          webhookUrl?: string;
          webhookUrlEnv?: string;
          secretEnv?: string;
          format: string;
        },
        cmd: Command,
      ) => {
        const ctx = CommandContext.of(cmd, deps);
        const url = opts.webhookUrl ?? fromEnv(deps, opts.webhookUrlEnv, "--webhook-url-env");
        if (!url) throw new CliError("give the webhook URL with --webhook-url-env NAME (or --webhook-url)");
        const raw = await ctx.client().post("/admin/v1/alert-channels", {
          name: opts.name,
          url,
          secret: fromEnv(deps, opts.secretEnv, "--secret-env"),
          format: opts.format,
        });
        printChannel(ctx, raw, "alert channel create", "Created alert channel:");
      },
    );
  channel
    .command("update")
    .description("change a channel's name, URL, format or signing secret")
    .argument("<id>", "channel id")
    .option("--name <text>", "channel name", nonEmpty("name"))
    .option("--webhook-url <url>", "new URL (visible in process lists: prefer --webhook-url-env)")
    .option("--webhook-url-env <name>", "read the new URL from this environment variable")
    .option("--secret-env <name>", "read a new signing secret from this environment variable")
    .option("--rotate-secret", "generate a new signing secret (printed once)")
    .addOption(new Option("--format <format>", "payload format").choices(FORMATS))
    .action(
      async (
        id: string,
        opts: {
          name?: string;
          webhookUrl?: string;
          webhookUrlEnv?: string;
          secretEnv?: string;
          rotateSecret?: boolean;
          format?: string;
        },
        cmd: Command,
      ) => {
        const ctx = CommandContext.of(cmd, deps);
        const raw = await ctx.client().patch(`/admin/v1/alert-channels/${seg(id)}`, {
          name: opts.name,
          url: opts.webhookUrl ?? fromEnv(deps, opts.webhookUrlEnv, "--webhook-url-env"),
          secret: fromEnv(deps, opts.secretEnv, "--secret-env"),
          rotateSecret: opts.rotateSecret ? true : undefined,
          format: opts.format,
        });
        printChannel(ctx, raw, "alert channel update", "Updated alert channel:");
      },
    );
  addLifecycleCommands(
    channel,
    deps,
    "channel",
    ChannelAnswer.transform((r) => r.channel),
    "delete a channel and its stored URL and secret",
  );
  channel
    .command("test")
    .description("send one signed test event now")
    .argument("<id>", "channel id")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().post(`/admin/v1/alert-channels/${seg(id)}/test`);
      ctx.emit(raw, ChannelTest, "alert channel test", (r) => {
        const detail = lastAttemptText(r.delivery);
        if (!r.delivered) throw new CliError(`test event ${r.delivery.eventId} was not delivered: ${detail}`);
        printLines(ctx.io, `Delivered test event ${r.delivery.eventId}: ${detail}.`);
      });
    });
}

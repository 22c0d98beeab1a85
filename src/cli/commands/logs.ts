import type { Command } from "commander";
import type { CliDeps } from "../context.ts";
import { CommandContext } from "../context.ts";
import { limitOption, MAX_LIMIT, nonEmpty } from "../options.ts";
import { formatCount, formatMs, formatTime, printTable } from "../output.ts";
import type { RequestLog } from "../schemas.ts";
import { RequestLogListResponse } from "../schemas.ts";

function tokens(log: RequestLog): string {
  if (!log.usage) return "-";
  return `${formatCount(log.usage.inputTokens)}/${formatCount(log.usage.outputTokens)}`;
}

export function registerLogsCommand(program: Command, deps: CliDeps): void {
  program
    .command("logs")
    .description("show recent proxied requests (newest first)")
    .addOption(limitOption())
    .option("--pool <name>", "only requests to this pool", nonEmpty("pool name"))
    .option("--key <id>", "only requests made with this key id", nonEmpty("key id"))
    .action(async (opts: { limit: number; pool?: string; key?: string }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get("/admin/v1/request-logs", {
        limit: opts.limit,
        pool: opts.pool,
        key: opts.key,
      });
      ctx.emit(raw, RequestLogListResponse, "logs", ({ data, nextCursor }) => {
        printTable(
          ctx.io,
          data,
          [
            { header: "TIME", value: (l) => formatTime(l.at) },
            { header: "STATUS", value: (l) => l.status, align: "right" },
            { header: "REQUEST", value: (l) => [l.method, l.route].filter(Boolean).join(" "), maxWidth: 40 },
            { header: "MODEL", value: (l) => l.model, maxWidth: 24 },
            { header: "POOL", value: (l) => l.pool, maxWidth: 20 },
            { header: "KEY", value: (l) => l.keyId },
            { header: "ACCOUNT", value: (l) => l.accountLabel, maxWidth: 20 },
            { header: "TRIES", value: (l) => l.attempts, align: "right" },
            { header: "DURATION", value: (l) => formatMs(l.durationMs), align: "right" },
            { header: "TTFB", value: (l) => formatMs(l.ttfbMs), align: "right" },
            { header: "TOKENS IN/OUT", value: tokens, align: "right" },
            { header: "ERROR", value: (l) => l.errorCode, maxWidth: 32 },
          ],
          "No requests logged yet.",
        );
        if (nextCursor && data.length >= opts.limit && opts.limit < MAX_LIMIT) {
          ctx.io.stderr(`(showing the latest ${data.length}; use --limit up to ${MAX_LIMIT} to see more)\n`);
        }
      });
    });
}

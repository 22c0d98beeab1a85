import { type Command, InvalidArgumentError, Option } from "commander";
import { REASONING_EFFORTS } from "../../admin-contract/enums.ts";
import { seg } from "../admin-client.ts";
import type { CliDeps } from "../context.ts";
import { CommandContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { nonEmpty, parseOnOff } from "../options.ts";
import { formatCount, formatTime, printLines, printSecret, printTable, quoted } from "../output.ts";
import type { ApiKey, KeyPolicy } from "../schemas.ts";
import {
  KeyDeleteResponse,
  KeyListResponse,
  KeyResponse,
  KeySecretResponse,
  KeyUsageResponse,
} from "../schemas.ts";

const EFFORTS = [...REASONING_EFFORTS];

function keyInfo(key: ApiKey): string[] {
  return [
    `  id:     ${key.id}`,
    `  prefix: ${key.prefix ?? "-"}`,
    `  pool:   ${key.pool ?? "-"}`,
    `  label:  ${key.label ?? "-"}`,
    `  status: ${key.status ?? "-"}`,
    `  policy: ${policySummary(key.policy) || "no limits"}`,
    `  dashboard access: ${key.dashboardAccess ? "on (/observatory)" : "off"}`,
  ];
}

/**
 * One line, e.g. `models=gpt-5.5,gpt-5.4 effort<=high rpm=60 tpd=1000000 tpw=5000000` (tokens per
 * day / week); "" when nothing is capped.
 */
export function policySummary(policy: KeyPolicy | null | undefined): string {
  if (!policy) return "";
  const parts: string[] = [];
  const models = policy.allowedModels;
  if (models) parts.push(`models=${models.length > 0 ? models.join(",") : "none"}`);
  if (policy.maxReasoningEffort) parts.push(`effort<=${policy.maxReasoningEffort}`);
  if (policy.requestsPerMinute) parts.push(`rpm=${policy.requestsPerMinute}`);
  if (policy.tokensPerDay) parts.push(`tpd=${policy.tokensPerDay}`);
  if (policy.tokensPerWeek) parts.push(`tpw=${policy.tokensPerWeek}`);
  return parts.join(" ");
}

function positiveInt(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("Must be a positive integer.");
  return n;
}

/** `a,b` → ["a","b"]; an empty value is an empty list, which allows no model. */
function modelList(value: string): string[] {
  return [
    ...new Set(
      value
        .split(",")
        .map((m) => m.trim())
        .filter((m) => m.length > 0),
    ),
  ];
}

interface PolicyOptions {
  models?: string[];
  modelsLimit?: boolean;
  maxEffort?: string | false;
  rpm?: number | false;
  tokensPerDay?: number | false;
  tokensPerWeek?: number | false;
}

/** Policy setters; with `clearable`, each also gets a `--no-…` that removes the cap. */
function addPolicyOptions(command: Command, clearable: boolean): Command {
  command
    .option("--models <list>", "comma-separated models the key may use ('' allows none)", modelList)
    .addOption(
      new Option("--max-effort <effort>", "highest reasoning effort the key may ask for").choices(EFFORTS),
    )
    .option("--rpm <n>", "requests per minute", positiveInt)
    .option("--tokens-per-day <n>", "tokens per UTC day", positiveInt)
    .option("--tokens-per-week <n>", "tokens per ISO week (from Monday 00:00 UTC)", positiveInt);
  if (clearable) {
    command
      .addOption(new Option("--no-models-limit", "allow every model").conflicts("models"))
      .option("--no-max-effort", "remove the reasoning-effort ceiling")
      .option("--no-rpm", "remove the requests-per-minute cap")
      .option("--no-tokens-per-day", "remove the tokens-per-day cap")
      .option("--no-tokens-per-week", "remove the tokens-per-week cap");
  }
  return command;
}

/** The API's policy object: only the fields given; null removes a cap. */
function policyBody(opts: PolicyOptions): Record<string, unknown> | undefined {
  const policy: Record<string, unknown> = {};
  if (opts.models !== undefined) policy.allowedModels = opts.models;
  else if (opts.modelsLimit === false) policy.allowedModels = null;
  const caps = [
    ["maxReasoningEffort", opts.maxEffort],
    ["requestsPerMinute", opts.rpm],
    ["tokensPerDay", opts.tokensPerDay],
    ["tokensPerWeek", opts.tokensPerWeek],
  ] as const;
  for (const [field, value] of caps) {
    if (value === false) policy[field] = null;
    else if (value !== undefined) policy[field] = value;
  }
  return Object.keys(policy).length > 0 ? policy : undefined;
}

export function registerKeyCommands(program: Command, deps: CliDeps): void {
  const key = program.command("key").description("manage Pool API keys (sk-cxp-…)");

  addPolicyOptions(
    key
      .command("create")
      .description("create a Pool API key; the raw key is printed once, as the last line")
      .requiredOption("--pool <name>", "pool the key routes to", nonEmpty("pool name"))
      .option("--label <label>", "label for the key", nonEmpty("label"))
      .option("--dashboard", "let the key's holder sign in to its read-only dashboard (/observatory)"),
    false,
  ).action(
    async (opts: { pool: string; label?: string; dashboard?: boolean } & PolicyOptions, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const body: {
        pool: string;
        label?: string;
        policy?: Record<string, unknown>;
        dashboardAccess?: boolean;
      } = { pool: opts.pool };
      if (opts.label !== undefined) body.label = opts.label;
      if (opts.dashboard) body.dashboardAccess = true;
      const policy = policyBody(opts);
      if (policy) body.policy = policy;
      const raw = await ctx.client().post("/admin/v1/keys", body);
      ctx.emit(raw, KeySecretResponse, "key create", ({ key: created, secret }) => {
        printSecret(
          ctx.io,
          [`Created Pool API key for pool ${quoted(created.pool)}.`, ...keyInfo(created)],
          secret,
          "key",
        );
      });
    },
  );

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
            { header: "POLICY", value: (k) => policySummary(k.policy) },
            { header: "CREATED", value: (k) => formatTime(k.createdAt) },
            { header: "LAST USED", value: (k) => formatTime(k.lastUsedAt) },
            { header: "REVOKED", value: (k) => formatTime(k.revokedAt) },
            { header: "DASHBOARD", value: (k) => (k.dashboardAccess ? "on" : "off") },
          ],
          opts.pool
            ? `No keys for pool ${quoted(opts.pool)}.`
            : "No keys yet. Create one with: pooler key create --pool NAME",
        );
      });
    });

  addPolicyOptions(
    key
      .command("update")
      .description("change a key's label, policy or dashboard access; options not given keep their value")
      .argument("<id>", "key id", nonEmpty("key id"))
      .option("--label <label>", "new label", nonEmpty("label"))
      .option(
        "--dashboard <on|off>",
        "the holder's read-only dashboard (/observatory); off ends its sessions",
        parseOnOff,
      ),
    true,
  ).action(
    async (id: string, opts: { label?: string; dashboard?: boolean } & PolicyOptions, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const body: { label?: string; policy?: Record<string, unknown>; dashboardAccess?: boolean } = {};
      if (opts.label !== undefined) body.label = opts.label;
      if (opts.dashboard !== undefined) body.dashboardAccess = opts.dashboard;
      const policy = policyBody(opts);
      if (policy) body.policy = policy;
      if (Object.keys(body).length === 0) {
        throw new CliError(
          "nothing to change: pass --label, --dashboard or a policy option (see pooler key update --help)",
        );
      }
      const raw = await ctx.client().patch(`/admin/v1/keys/${seg(id)}`, body);
      ctx.emit(raw, KeyResponse, "key update", ({ key: updated }) => {
        printLines(ctx.io, `Updated key ${updated.id}.`, ...keyInfo(updated));
      });
    },
  );

  key
    .command("usage")
    .description("a key's requests this minute and requests and tokens today and this week")
    .argument("<id>", "key id", nonEmpty("key id"))
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get(`/admin/v1/keys/${seg(id)}/usage`);
      ctx.emit(raw, KeyUsageResponse, "key usage", (usage) => {
        const limit = (n: number | null | undefined) => (n ? ` of ${formatCount(n)}` : "");
        const { minute, day, week } = usage;
        printLines(
          ctx.io,
          `Usage of key ${usage.keyId} at ${formatTime(usage.at)}:`,
          `  minute ${minute.window ?? "-"}: ${formatCount(minute.requests)}${limit(minute.requestsLimit)} requests; resets ${formatTime(minute.resetsAt)}`,
          `  day    ${day.window ?? "-"}: ${formatCount(day.tokens ?? 0)}${limit(day.tokensLimit)} tokens, ${formatCount(day.requests)} requests; resets ${formatTime(day.resetsAt)}`,
          `  week   ${week.window ?? "-"}: ${formatCount(week.tokens ?? 0)}${limit(week.tokensLimit)} tokens, ${formatCount(week.requests)} requests; resets ${formatTime(week.resetsAt)}`,
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
    .command("delete")
    .description("delete a key for good: it stops working and its dashboard sessions end")
    .argument("<id>", "key id", nonEmpty("key id"))
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().delete(`/admin/v1/keys/${seg(id)}`);
      ctx.emit(raw, KeyDeleteResponse, "key delete", (res) => {
        printLines(ctx.io, `Deleted key ${res.id}.`);
      });
    });

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

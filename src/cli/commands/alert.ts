// `pooler alert rule|channel|incident …` and `pooler alert evaluate`: the alerting admin API.
import { type Command, InvalidArgumentError, Option } from "commander";
import { z } from "zod";
import { seg } from "../admin-client.ts";
import type { CliDeps } from "../context.ts";
import { CommandContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { limitOption, nonEmpty } from "../options.ts";
import { formatTime, printLines, printTable } from "../output.ts";

const KINDS = [
  "pool_no_usable_assignments",
  "pool_low_usable_assignments",
  "pool_all_assignments_in_state",
  "upstream_quota_threshold",
  "upstream_auth_state",
  "pool_error_rate_spike",
];
const SEVERITIES = ["info", "warning", "critical"];
const WINDOWS = ["account_primary", "account_secondary", "any"];
const FORMATS = ["json", "slack"];

const text = z.string().nullish();
const num = z.number().nullish();
const Rule = z.object({
  id: z.string(),
  pool: text,
  kind: text,
  displayName: text,
  severity: text,
  state: text,
  cooldownMinutes: num,
  channelIds: z.array(z.string()).nullish(),
  model: text,
  minUsableAssignments: num,
  targetState: text,
  windowSelector: text,
  thresholdUsedPercent: num,
  windowMinutes: num,
  thresholdErrorPercent: num,
  minRequests: num,
});
type Rule = z.infer<typeof Rule>;
const Channel = z.object({
  id: z.string(),
  name: text,
  kind: text,
  format: text,
  state: text,
  url: z.object({ host: text, pathPrefix: text, fingerprint: text }).nullish(),
  lastDelivery: z.object({ at: text, outcome: text, statusCode: num }).nullish(),
});
type Channel = z.infer<typeof Channel>;
const Incident = z.object({
  id: z.string(),
  ruleId: text,
  ruleKind: text,
  pool: text,
  severity: text,
  state: text,
  reasonCode: text,
  accountLabel: text,
  summary: text,
  occurrenceCount: num,
  notificationCount: num,
  firstSeenAt: text,
  lastSeenAt: text,
  acknowledgedAt: text,
  resolvedAt: text,
  resolution: text,
});
type Incident = z.infer<typeof Incident>;
const Attempt = z.object({
  attemptId: z.string(),
  at: text,
  outcome: text,
  statusCode: num,
  errorCode: text,
  durationMs: num,
});
const Delivery = z.object({
  eventId: z.string(),
  eventType: text,
  channelId: text,
  status: text,
  attemptCount: num,
  nextAttemptAt: text,
  errorCode: text,
  attempts: z.array(Attempt).nullish(),
});
type Delivery = z.infer<typeof Delivery>;

function positive(value: string): number {
  const n = Number(value.trim());
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("Must be a positive number.");
  return n;
}
const collect = (value: string, previous: string[] = []) => [...previous, value];

function ruleParams(r: Rule): string {
  const parts = [
    r.model ? `model=${r.model}` : "",
    r.minUsableAssignments ? `min=${r.minUsableAssignments}` : "",
    r.targetState ? `state=${r.targetState}` : "",
    r.windowSelector ? `window=${r.windowSelector}` : "",
    r.thresholdUsedPercent ? `used>=${r.thresholdUsedPercent}%` : "",
    r.windowMinutes ? `last ${r.windowMinutes}m` : "",
    r.thresholdErrorPercent ? `errors>=${r.thresholdErrorPercent}%` : "",
    r.minRequests ? `min ${r.minRequests} req` : "",
  ];
  return parts.filter(Boolean).join(" ");
}

const ruleInfo = (r: Rule) => [
  `  id:       ${r.id}`,
  `  pool:     ${r.pool ?? "-"}`,
  `  kind:     ${r.kind ?? "-"}`,
  `  name:     ${r.displayName ?? "-"}`,
  `  severity: ${r.severity ?? "-"}`,
  `  state:    ${r.state ?? "-"}`,
  `  cooldown: ${r.cooldownMinutes ?? "-"} min`,
  `  channels: ${r.channelIds?.length ? r.channelIds.join(", ") : "none"}`,
  `  params:   ${ruleParams(r) || "-"}`,
];

const urlText = (c: Channel) => (c.url ? `${c.url.host ?? ""}${c.url.pathPrefix ?? ""}` : "-");
const channelInfo = (c: Channel) => [
  `  id:          ${c.id}`,
  `  name:        ${c.name ?? "-"}`,
  `  kind:        ${c.kind ?? "-"} (${c.format ?? "json"})`,
  `  state:       ${c.state ?? "-"}`,
  `  url:         ${urlText(c)}`,
  `  fingerprint: ${c.url?.fingerprint ?? "-"}`,
];

const incidentInfo = (i: Incident) => [
  `  id:         ${i.id}`,
  `  state:      ${i.state ?? "-"}`,
  `  severity:   ${i.severity ?? "-"}`,
  `  pool:       ${i.pool ?? "-"}`,
  `  kind:       ${i.ruleKind ?? "-"} (rule ${i.ruleId ?? "-"})`,
  `  reason:     ${i.reasonCode ?? "-"}`,
  `  summary:    ${i.summary ?? "-"}`,
  `  seen:       ${i.occurrenceCount ?? 0}× from ${formatTime(i.firstSeenAt)} to ${formatTime(i.lastSeenAt)}`,
  `  notified:   ${i.notificationCount ?? 0}×`,
  ...(i.acknowledgedAt ? [`  acked:      ${formatTime(i.acknowledgedAt)}`] : []),
  ...(i.resolvedAt ? [`  resolved:   ${formatTime(i.resolvedAt)} (${i.resolution ?? "-"})`] : []),
];

/** Reads a value from the named environment variable (keeps URLs and secrets out of process lists). */
function fromEnv(deps: CliDeps, name: string | undefined, what: string): string | undefined {
  if (name === undefined) return undefined;
  const value = deps.env[name]?.trim();
  if (!value) throw new CliError(`${what}: environment variable ${name} is not set or empty`);
  return value;
}

function addRuleOptions(command: Command): Command {
  return command
    .option("--name <text>", "display name", nonEmpty("name"))
    .addOption(new Option("--severity <level>", "severity").choices(SEVERITIES))
    .option("--cooldown <minutes>", "minutes before the first repeat notification (5-1440)", positive)
    .option("--channel <id>", "notify this channel (repeat for several)", collect)
    .option("--model <id>", "pool kinds: only this model", nonEmpty("model"))
    .option("--min-usable <n>", "pool_low_usable_assignments: fire below this many usable accounts", positive)
    .option(
      "--target-state <state>",
      "pool_all_assignments_in_state / upstream_auth_state: the state to watch",
      nonEmpty("state"),
    )
    .addOption(
      new Option("--window <selector>", "upstream_quota_threshold: which quota window").choices(WINDOWS),
    )
    .option("--threshold <percent>", "upstream_quota_threshold: used percent that fires (1-100)", positive)
    .option("--window-minutes <n>", "pool_error_rate_spike: look-back (5-1440)", positive)
    .option(
      "--error-percent <percent>",
      "pool_error_rate_spike: failure percent that fires (1-100)",
      positive,
    )
    .option("--min-requests <n>", "pool_error_rate_spike: fewer requests never fire", positive);
}

interface RuleOptions {
  name?: string;
  severity?: string;
  cooldown?: number;
  channel?: string[];
  model?: string;
  minUsable?: number;
  targetState?: string;
  window?: string;
  threshold?: number;
  windowMinutes?: number;
  errorPercent?: number;
  minRequests?: number;
}

const ruleBody = (o: RuleOptions) => ({
  displayName: o.name,
  severity: o.severity,
  cooldownMinutes: o.cooldown,
  channelIds: o.channel,
  model: o.model,
  minUsableAssignments: o.minUsable,
  targetState: o.targetState,
  windowSelector: o.window,
  thresholdUsedPercent: o.threshold,
  windowMinutes: o.windowMinutes,
  thresholdErrorPercent: o.errorPercent,
  minRequests: o.minRequests,
});

function registerRuleCommands(alert: Command, deps: CliDeps): void {
  const rule = alert.command("rule").description("alert rules: what to watch in a pool");
  rule
    .command("list")
    .description("list alert rules")
    .option("--pool <name>", "only this pool", nonEmpty("pool name"))
    .action(async (opts: { pool?: string }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get("/admin/v1/alert-rules", { pool: opts.pool });
      ctx.emit(raw, z.object({ data: z.array(Rule) }), "alert rule list", ({ data }) => {
        printTable(
          ctx.io,
          data,
          [
            { header: "ID", value: (r) => r.id },
            { header: "POOL", value: (r) => r.pool, maxWidth: 24 },
            { header: "KIND", value: (r) => r.kind },
            { header: "NAME", value: (r) => r.displayName, maxWidth: 32 },
            { header: "SEVERITY", value: (r) => r.severity },
            { header: "STATE", value: (r) => r.state },
            { header: "CHANNELS", value: (r) => r.channelIds?.length ?? 0, align: "right" },
            { header: "PARAMS", value: ruleParams, maxWidth: 48 },
          ],
          "No alert rules yet. Create one with `pooler alert rule create`.",
        );
      });
    });
  rule
    .command("show")
    .description("show one alert rule")
    .argument("<id>", "rule id")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get(`/admin/v1/alert-rules/${seg(id)}`);
      ctx.emit(raw, z.object({ rule: Rule }), "alert rule show", ({ rule: r }) =>
        printLines(ctx.io, ...ruleInfo(r)),
      );
    });
  addRuleOptions(
    rule
      .command("create")
      .description("create an alert rule")
      .requiredOption("--pool <name>", "the pool to watch", nonEmpty("pool name"))
      .addOption(new Option("--kind <kind>", "what to watch").choices(KINDS).makeOptionMandatory()),
  ).action(async (opts: RuleOptions & { pool: string; kind: string }, cmd: Command) => {
    const ctx = CommandContext.of(cmd, deps);
    const raw = await ctx
      .client()
      .post("/admin/v1/alert-rules", { pool: opts.pool, kind: opts.kind, ...ruleBody(opts) });
    ctx.emit(raw, z.object({ rule: Rule }), "alert rule create", ({ rule: r }) =>
      printLines(ctx.io, "Created alert rule:", ...ruleInfo(r)),
    );
  });
  addRuleOptions(
    rule.command("update").description("change an alert rule").argument("<id>", "rule id"),
  ).action(async (id: string, opts: RuleOptions, cmd: Command) => {
    const ctx = CommandContext.of(cmd, deps);
    const raw = await ctx.client().patch(`/admin/v1/alert-rules/${seg(id)}`, ruleBody(opts));
    ctx.emit(raw, z.object({ rule: Rule }), "alert rule update", ({ rule: r }) =>
      printLines(ctx.io, "Updated alert rule:", ...ruleInfo(r)),
    );
  });
  for (const action of ["enable", "disable"] as const) {
    rule
      .command(action)
      .description(`${action} an alert rule`)
      .argument("<id>", "rule id")
      .action(async (id: string, _opts: unknown, cmd: Command) => {
        const ctx = CommandContext.of(cmd, deps);
        const raw = await ctx.client().post(`/admin/v1/alert-rules/${seg(id)}/${action}`);
        ctx.emit(raw, z.object({ rule: Rule }), `alert rule ${action}`, ({ rule: r }) =>
          printLines(ctx.io, `Alert rule ${r.id} is now ${r.state}.`),
        );
      });
  }
  rule
    .command("delete")
    .description("delete an alert rule (its open incidents are resolved)")
    .argument("<id>", "rule id")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().delete(`/admin/v1/alert-rules/${seg(id)}`);
      ctx.emit(raw, z.object({ id: z.string() }), "alert rule delete", (r) =>
        printLines(ctx.io, `Deleted alert rule ${r.id}.`),
      );
    });
}

function registerChannelCommands(alert: Command, deps: CliDeps): void {
  const channel = alert.command("channel").description("alert channels: signed HTTPS webhooks");
  channel
    .command("list")
    .description("list alert channels (URL host and fingerprint only)")
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get("/admin/v1/alert-channels");
      ctx.emit(raw, z.object({ data: z.array(Channel) }), "alert channel list", ({ data }) => {
        printTable(
          ctx.io,
          data,
          [
            { header: "ID", value: (c) => c.id },
            { header: "NAME", value: (c) => c.name, maxWidth: 32 },
            { header: "KIND", value: (c) => c.kind },
            { header: "FORMAT", value: (c) => c.format },
            { header: "STATE", value: (c) => c.state },
            { header: "URL", value: urlText, maxWidth: 48 },
            { header: "FINGERPRINT", value: (c) => c.url?.fingerprint },
            {
              header: "LAST DELIVERY",
              value: (c) =>
                c.lastDelivery
                  ? `${c.lastDelivery.outcome ?? "?"}${c.lastDelivery.statusCode ? ` ${c.lastDelivery.statusCode}` : ""} ${formatTime(c.lastDelivery.at)}`
                  : "",
            },
          ],
          "No alert channels yet. Create one with `pooler alert channel create`.",
        );
      });
    });
  const secretLines = (secret: string | null | undefined) =>
    secret
      ? [
          "Signing secret (verify x-codex-pooler-signature with it). This is the only time it is shown: store it now.",
          secret,
        ]
      : [];
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
        ctx.emit(
          raw,
          z.object({ channel: Channel, secret: z.string().nullish() }),
          "alert channel create",
          (r) =>
            printLines(ctx.io, "Created alert channel:", ...channelInfo(r.channel), ...secretLines(r.secret)),
        );
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
        ctx.emit(
          raw,
          z.object({ channel: Channel, secret: z.string().nullish() }),
          "alert channel update",
          (r) =>
            printLines(ctx.io, "Updated alert channel:", ...channelInfo(r.channel), ...secretLines(r.secret)),
        );
      },
    );
  for (const action of ["enable", "disable"] as const) {
    channel
      .command(action)
      .description(`${action} an alert channel`)
      .argument("<id>", "channel id")
      .action(async (id: string, _opts: unknown, cmd: Command) => {
        const ctx = CommandContext.of(cmd, deps);
        const raw = await ctx.client().post(`/admin/v1/alert-channels/${seg(id)}/${action}`);
        ctx.emit(raw, z.object({ channel: Channel }), `alert channel ${action}`, ({ channel: c }) =>
          printLines(ctx.io, `Alert channel ${c.id} is now ${c.state}.`),
        );
      });
  }
  channel
    .command("delete")
    .description("delete a channel and its stored URL and secret")
    .argument("<id>", "channel id")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().delete(`/admin/v1/alert-channels/${seg(id)}`);
      ctx.emit(raw, z.object({ id: z.string() }), "alert channel delete", (r) =>
        printLines(ctx.io, `Deleted alert channel ${r.id}.`),
      );
    });
  channel
    .command("test")
    .description("send one signed test event now")
    .argument("<id>", "channel id")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().post(`/admin/v1/alert-channels/${seg(id)}/test`);
      ctx.emit(raw, z.object({ delivered: z.boolean(), delivery: Delivery }), "alert channel test", (r) => {
        const attempt = r.delivery.attempts?.at(-1);
        const detail = attempt
          ? `${attempt.outcome ?? "?"}${attempt.statusCode ? ` (HTTP ${attempt.statusCode})` : ""}${attempt.errorCode ? ` ${attempt.errorCode}` : ""}`
          : "no attempt";
        if (!r.delivered) throw new CliError(`test event ${r.delivery.eventId} was not delivered: ${detail}`);
        printLines(ctx.io, `Delivered test event ${r.delivery.eventId}: ${detail}.`);
      });
    });
}

function printDeliveries(ctx: CommandContext, deliveries: Delivery[]): void {
  printTable(
    ctx.io,
    deliveries,
    [
      { header: "EVENT", value: (d) => d.eventId },
      { header: "TYPE", value: (d) => d.eventType },
      { header: "CHANNEL", value: (d) => d.channelId },
      { header: "STATUS", value: (d) => d.status },
      { header: "ATTEMPTS", value: (d) => d.attemptCount ?? 0, align: "right" },
      {
        header: "LAST",
        value: (d) => {
          const a = d.attempts?.at(-1);
          return a ? `${a.outcome ?? "?"}${a.statusCode ? ` ${a.statusCode}` : ""}` : "";
        },
      },
      { header: "NEXT", value: (d) => formatTime(d.nextAttemptAt) },
    ],
    "No deliveries.",
  );
}

function registerIncidentCommands(alert: Command, deps: CliDeps): void {
  const incident = alert.command("incident").description("alert incidents: conditions that fired");
  incident
    .command("list")
    .description("list incidents, newest first")
    .addOption(new Option("--state <state>", "only this state").choices(["open", "acknowledged", "resolved"]))
    .option("--pool <name>", "only this pool", nonEmpty("pool name"))
    .addOption(limitOption())
    .action(async (opts: { state?: string; pool?: string; limit: number }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get("/admin/v1/alert-incidents", {
        state: opts.state,
        pool: opts.pool,
        limit: opts.limit,
      });
      ctx.emit(raw, z.object({ data: z.array(Incident) }), "alert incident list", ({ data }) => {
        printTable(
          ctx.io,
          data,
          [
            { header: "ID", value: (i) => i.id },
            { header: "STATE", value: (i) => i.state },
            { header: "SEVERITY", value: (i) => i.severity },
            { header: "POOL", value: (i) => i.pool, maxWidth: 24 },
            { header: "KIND", value: (i) => i.ruleKind },
            { header: "SEEN", value: (i) => i.occurrenceCount ?? 0, align: "right" },
            { header: "OPENED", value: (i) => formatTime(i.firstSeenAt) },
            { header: "SUMMARY", value: (i) => i.summary, maxWidth: 72 },
          ],
          "No alert incidents.",
        );
      });
    });
  incident
    .command("show")
    .description("show an incident and its deliveries")
    .argument("<id>", "incident id")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get(`/admin/v1/alert-incidents/${seg(id)}`);
      ctx.emit(
        raw,
        z.object({ incident: Incident, deliveries: z.array(Delivery) }),
        "alert incident show",
        (r) => {
          printLines(ctx.io, ...incidentInfo(r.incident), "");
          printDeliveries(ctx, r.deliveries);
        },
      );
    });
  for (const [name, path, verb] of [
    ["ack", "acknowledge", "Acknowledged"],
    ["resolve", "resolve", "Resolved"],
  ] as const) {
    incident
      .command(name)
      .description(
        name === "ack" ? "acknowledge an open incident (stops repeat notifications)" : "resolve an incident",
      )
      .argument("<id>", "incident id")
      .action(async (id: string, _opts: unknown, cmd: Command) => {
        const ctx = CommandContext.of(cmd, deps);
        const raw = await ctx.client().post(`/admin/v1/alert-incidents/${seg(id)}/${path}`);
        ctx.emit(raw, z.object({ incident: Incident }), `alert incident ${name}`, ({ incident: i }) =>
          printLines(ctx.io, `${verb} incident ${i.id} (${i.ruleKind ?? "-"}, pool ${i.pool ?? "-"}).`),
        );
      });
  }
}

export function registerAlertCommands(program: Command, deps: CliDeps): void {
  const alert = program.command("alert").description("alert rules, channels and incidents");
  registerRuleCommands(alert, deps);
  registerChannelCommands(alert, deps);
  registerIncidentCommands(alert, deps);
  alert
    .command("evaluate")
    .description("evaluate every active rule now and send pending notifications")
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().post("/admin/v1/alerts/evaluate");
      const Result = z.object({
        rulesEvaluated: z.number(),
        opened: z.number(),
        repeated: z.number(),
        resolved: z.number(),
        deliveries: z.object({
          attempted: z.number(),
          delivered: z.number(),
          retrying: z.number(),
          failed: z.number(),
        }),
      });
      ctx.emit(raw, Result, "alert evaluate", (r) =>
        printLines(
          ctx.io,
          `Evaluated ${r.rulesEvaluated} rule(s): ${r.opened} opened, ${r.repeated} repeated, ${r.resolved} resolved.`,
          `Deliveries: ${r.deliveries.attempted} attempted, ${r.deliveries.delivered} delivered, ${r.deliveries.retrying} to retry, ${r.deliveries.failed} failed.`,
        ),
      );
    });
}

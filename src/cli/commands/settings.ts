// `pooler settings`: gateway-wide settings (the instance MCP gate, the runtime firewall).
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import type { z } from "zod";
import type { CliDeps } from "../context.ts";
import { CommandContext } from "../context.ts";
import { parseOnOff } from "../options.ts";
import { printLines, printTable } from "../output.ts";
import { AdmissionResponse, SettingsResponse } from "../schemas.ts";

/** "10.0.0.0/8, 192.0.2.7" → a list; "none" → [] (the gateway checks each entry). */
function parseList(value: string): string[] {
  if (value.trim().toLowerCase() === "none") return [];
  const items = value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list, or "none"');
  return items;
}

function parseDepth(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) > 16) throw new InvalidArgumentError("expected 0–16");
  return Number(value);
}

type Shown = z.infer<typeof SettingsResponse>["settings"];

const describe = (s: Shown) => {
  const fw = s.firewall;
  return [
    `MCP endpoint (/mcp): ${s.mcpEnabled ? "on" : "off (every MCP token is refused with 403)"}`,
    ...(fw
      ? [
          `Firewall:            ${fw.enabled ? `on, allows ${fw.allow.join(", ")}` : "off (every client address is allowed)"}`,
          `Trusted proxies:     ${fw.trustedProxies.length ? fw.trustedProxies.join(", ") : "none"}`,
          `Client address from: ${fw.clientIpSource}${fw.clientIpSource === "x_forwarded_for" ? ` (depth ${fw.proxyDepth})` : ""}, when the peer is a trusted proxy`,
        ]
      : []),
    `Last changed:        ${s.updatedAt ?? "never (defaults)"}`,
  ];
};

export function registerSettingsCommands(program: Command, deps: CliDeps): void {
  const settings = program.command("settings").description("show or change gateway-wide settings");

  settings
    .command("admission")
    .description("admission limits per route class and this process's load (POOLER_ADMISSION_<CLASS>)")
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get("/admin/v1/admission");
      ctx.emit(raw, AdmissionResponse, "settings admission", ({ enabled, data }) =>
        printTable(
          ctx.io,
          data,
          [
            { header: "CLASS", value: (c) => c.routeClass },
            { header: "CONCURRENCY", value: (c) => c.concurrency, align: "right" },
            { header: "QUEUE", value: (c) => c.queue, align: "right" },
            { header: "TIMEOUT MS", value: (c) => c.timeoutMs, align: "right" },
            { header: "RUNNING", value: (c) => c.running, align: "right" },
            { header: "QUEUED", value: (c) => c.queued, align: "right" },
            { header: "REFUSED", value: (c) => c.rejected, align: "right" },
          ],
          enabled
            ? "No route classes."
            : "No bulkheads here: on AWS each function's reserved concurrency limits it (docs/deploy-aws.md).",
        ),
      );
    });

  settings
    .command("show")
    .description("show the gateway-wide settings")
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().get("/admin/v1/settings");
      ctx.emit(raw, SettingsResponse, "settings show", ({ settings: s }) =>
        printLines(ctx.io, ...describe(s)),
      );
    });

  settings
    .command("set")
    .description("change gateway-wide settings (audited)")
    .option("--mcp <on|off>", "serve /mcp, or refuse every MCP token without revoking them", parseOnOff)
    .option(
      "--firewall-allow <list>",
      'IPs and CIDR ranges allowed to call every route but /healthz, /readyz and the admin API, comma-separated; "none" turns the firewall off',
      parseList,
    )
    .option(
      "--trusted-proxies <list>",
      'peers (a reverse proxy in front) whose forwarding headers are believed; "none" for none',
      parseList,
    )
    .option(
      "--client-ip-source <source>",
      "where a trusted proxy puts the client's address: x_forwarded_for, x_real_ip, or peer (ignore headers)",
    )
    .option(
      "--proxy-depth <n>",
      "with x_forwarded_for: further entries to skip from the right (0–16)",
      parseDepth,
    )
    .action(
      async (
        opts: {
          mcp?: boolean;
          firewallAllow?: string[];
          trustedProxies?: string[];
          clientIpSource?: string;
          proxyDepth?: number;
        },
        cmd: Command,
      ) => {
        const ctx = CommandContext.of(cmd, deps);
        const firewall = {
          allow: opts.firewallAllow,
          trustedProxies: opts.trustedProxies,
          clientIpSource: opts.clientIpSource,
          proxyDepth: opts.proxyDepth,
        };
        const anyFirewall = Object.values(firewall).some((v) => v !== undefined);
        if (opts.mcp === undefined && !anyFirewall) {
          cmd.error(
            "error: name at least one setting to change (--mcp, --firewall-allow, --trusted-proxies, --client-ip-source, --proxy-depth)",
            { exitCode: 2 },
          );
        }
        const raw = await ctx.client().patch("/admin/v1/settings", {
          mcpEnabled: opts.mcp,
          firewall: anyFirewall ? firewall : undefined,
        });
        ctx.emit(raw, SettingsResponse, "settings set", ({ settings: s }) =>
          printLines(ctx.io, ...describe(s)),
        );
      },
    );
}

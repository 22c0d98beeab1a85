// `pooler settings`: gateway-wide switches (today: the instance MCP gate).
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import type { CliDeps } from "../context.ts";
import { CommandContext } from "../context.ts";
import { printLines } from "../output.ts";
import { SettingsResponse } from "../schemas.ts";

function parseOnOff(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === "on" || v === "true") return true;
  if (v === "off" || v === "false") return false;
  throw new InvalidArgumentError("expected on or off");
}

const describe = (s: { mcpEnabled: boolean; updatedAt?: string | null }) => [
  `MCP endpoint (/mcp): ${s.mcpEnabled ? "on" : "off (every MCP token is refused with 403)"}`,
  `Last changed:        ${s.updatedAt ?? "never (defaults)"}`,
];

export function registerSettingsCommands(program: Command, deps: CliDeps): void {
  const settings = program.command("settings").description("show or change gateway-wide settings");

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
    .requiredOption(
      "--mcp <on|off>",
      "serve /mcp, or refuse every MCP token without revoking them",
      parseOnOff,
    )
    .action(async (opts: { mcp: boolean }, cmd: Command) => {
      const ctx = CommandContext.of(cmd, deps);
      const raw = await ctx.client().patch("/admin/v1/settings", { mcpEnabled: opts.mcp });
      ctx.emit(raw, SettingsResponse, "settings set", ({ settings: s }) =>
        printLines(ctx.io, ...describe(s)),
      );
    });
}

// Gateway-wide switches an operator changes at run time, shared by every instance through the store
// and cached briefly (a change reaches the other instances within TTL_MS). Today one: the instance
// MCP gate, which turns /mcp off for every token without revoking them (an incident, a freeze).
import { recordAudit } from "./audit.ts";
import type { CoreContext } from "./context.ts";
import type { GatewaySettings } from "./ports.ts";

const TTL_MS = 5_000;

export const DEFAULT_SETTINGS: GatewaySettings = { mcpEnabled: true };

export type SettingsPatch = Partial<Pick<GatewaySettings, "mcpEnabled">>;

export class SettingsService {
  #cached: { settings: GatewaySettings; at: number } | undefined;

  constructor(private readonly ctx: CoreContext) {}

  async get(): Promise<GatewaySettings> {
    const now = this.ctx.clock.now();
    if (this.#cached && now - this.#cached.at < TTL_MS) return this.#cached.settings;
    const settings = { ...DEFAULT_SETTINGS, ...(await this.ctx.store.settings.get()) };
    this.#cached = { settings, at: now };
    return settings;
  }

  /** Applies the fields given and audits the names and new values of those that changed. */
  async update(patch: SettingsPatch, actor: string): Promise<GatewaySettings> {
    const current = { ...DEFAULT_SETTINGS, ...(await this.ctx.store.settings.get()) };
    const changed = (Object.keys(patch) as (keyof SettingsPatch)[]).filter(
      (field) => patch[field] !== undefined && patch[field] !== current[field],
    );
    if (changed.length === 0) return current;
    const next: GatewaySettings = { ...current, ...patch, updatedAt: this.ctx.clock.now() };
    await this.ctx.store.settings.put(next);
    this.#cached = { settings: next, at: this.ctx.clock.now() };
    await recordAudit(this.ctx, {
      actor,
      action: "settings.update",
      targetType: "settings",
      details: Object.fromEntries(changed.map((field) => [field, next[field]])),
    });
    return next;
  }
}

// Gateway-wide settings an operator changes at run time, shared by every instance through the store
// and cached briefly (a change reaches the other instances within TTL_MS): the instance MCP gate,
// which turns /mcp off for every token without revoking them (an incident, a freeze), and the
// runtime firewall (a client-IP allow-list).
import { recordAudit } from "../audit.ts";
import type { CoreContext } from "../context.ts";
import { GatewayError } from "../errors.ts";
import type { GatewaySettings } from "../ports.ts";
import {
  accessDenied,
  type ClientHeaders,
  type ClientVerdict,
  type CompiledFirewall,
  compileFirewall,
  DEFAULT_FIREWALL,
  type FirewallSettings,
} from "./firewall.ts";

const TTL_MS = 5_000;
/** Served while re-read in the background for this long: a change reaches every instance within it. */
export const SETTINGS_STALE_MS = 30_000;

type Current = { settings: Settings; firewall: CompiledFirewall; at: number };

export const DEFAULT_SETTINGS: Required<Omit<GatewaySettings, "updatedAt">> = {
  mcpEnabled: true,
  firewall: DEFAULT_FIREWALL,
};

export type SettingsPatch = {
  mcpEnabled?: boolean;
  /** Merged into the current firewall settings: name only what changes. */
  firewall?: Partial<FirewallSettings>;
};

export type Settings = typeof DEFAULT_SETTINGS & Pick<GatewaySettings, "updatedAt">;

const withDefaults = (stored: GatewaySettings | undefined): Settings => ({
  ...DEFAULT_SETTINGS,
  ...stored,
  firewall: { ...DEFAULT_FIREWALL, ...stored?.firewall },
});

export class SettingsService {
  #cached: Current | undefined;
  #loading: Promise<Current> | undefined;
  /** Moves on every local update: a read begun before it does not replace what the update stored. */
  #generation = 0;

  constructor(private readonly ctx: CoreContext) {}

  async get(): Promise<Settings> {
    return (await this.#current()).settings;
  }

  /**
   * The client's resolved address and whether the runtime firewall lets it through (compiled once
   * per settings read); with a route family, a refusal is counted as `firewall_denied` by it.
   */
  async client(peer: string | undefined, headers: ClientHeaders, route?: string): Promise<ClientVerdict> {
    const verdict = (await this.#current()).firewall.check(peer, headers);
    if (!verdict.allowed && route) this.ctx.metrics.count("firewall_denied", 1, { route });
    return verdict;
  }

  /** Whether the firewall lets this client through (an open WebSocket re-checks at each turn). */
  async admits(peer: string | undefined, headers: ClientHeaders, route: string): Promise<boolean> {
    return (await this.client(peer, headers, route)).allowed;
  }

  /**
   * The address failed authentication is charged to (the resolved client, or the peer when a
   * trusted proxy's header cannot be read), throwing 403 `access_denied` for a refused client.
   */
  async admit(peer: string | undefined, headers: ClientHeaders, route: string): Promise<string | undefined> {
    const verdict = await this.client(peer, headers, route);
    if (!verdict.allowed) throw accessDenied();
    return verdict.address ?? peer;
  }

  /** Starts (or joins) the read a request will make (see CredentialService.prefetch); never rejects. */
  prefetch(): Promise<unknown> {
    return this.#current().catch(() => undefined);
  }

  async #current(): Promise<Current> {
    const now = this.ctx.clock.now();
    const cached = this.#cached;
    if (cached && now - cached.at < TTL_MS) return cached;
    if (cached && now - cached.at < SETTINGS_STALE_MS) {
      // Stale-while-revalidate: this request goes on with what this instance read last.
      this.ctx.background(this.#read().catch(() => undefined));
      return cached;
    }
    return this.#read();
  }

  #read(): Promise<Current> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #load(): Promise<Current> {
    const generation = this.#generation;
    let stored: GatewaySettings | undefined;
    try {
      stored = await this.ctx.store.settings.get();
    } catch (error) {
      // The store is unreachable: the last settings this instance read still hold (a firewall must
      // not fall open, nor every request fail, because of a store hiccup). Cold: nothing to go on.
      if (this.#cached) return this.#cached;
      this.ctx.logger.warn("settings unavailable", { error: (error as Error).name });
      throw new GatewayError(503, "settings_unavailable", "runtime settings are temporarily unavailable");
    }
    if (generation !== this.#generation && this.#cached) return this.#cached;
    return this.#remember(withDefaults(stored));
  }

  #remember(settings: Settings) {
    this.#cached = { settings, firewall: compileFirewall(settings.firewall), at: this.ctx.clock.now() };
    return this.#cached;
  }

  /** Applies the fields given and audits the names and new values of those that changed. */
  async update(patch: SettingsPatch, actor: string): Promise<Settings> {
    const current = withDefaults(await this.ctx.store.settings.get());
    const next: Settings = {
      ...current,
      ...(patch.mcpEnabled === undefined ? {} : { mcpEnabled: patch.mcpEnabled }),
      firewall: { ...current.firewall, ...patch.firewall },
    };
    const details = auditDetails(current, next);
    if (Object.keys(details).length === 0) return current;
    next.updatedAt = this.ctx.clock.now();
    await this.ctx.store.settings.put(next);
    this.#generation++;
    this.#remember(next);
    await recordAudit(this.ctx, {
      actor,
      action: "settings.update",
      targetType: "settings",
      details,
    });
    return next;
  }
}

/** The fields that changed, flat (audit details hold scalars): lists as comma-separated text. */
function auditDetails(current: Settings, next: Settings): Record<string, string | number | boolean> {
  const flat = (s: Settings): Record<string, string | number | boolean> => ({
    mcpEnabled: s.mcpEnabled,
    "firewall.allow": s.firewall.allow.join(","),
    "firewall.trustedProxies": s.firewall.trustedProxies.join(","),
    "firewall.clientIpSource": s.firewall.clientIpSource,
    "firewall.proxyDepth": s.firewall.proxyDepth,
  });
  const before = flat(current);
  return Object.fromEntries(Object.entries(flat(next)).filter(([field, value]) => before[field] !== value));
}

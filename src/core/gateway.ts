// The runtime services one host process shares across requests, built once by the host's composition
// root. Each service gets what it uses at construction (the context's ports or the services it
// calls), never this object: the attempt loop is built with tokens, the account directory, the router
// and quota evidence; the JSON reads with the attempt loop; the catalog and usage reads with the JSON
// reads. Entry points (the relay, routes, schedulers) take the members they call.
import type { Admission } from "./access/admission.ts";
import { AuthThrottle } from "./access/auth-throttle.ts";
import { SettingsService } from "./access/settings.ts";
import { QuotaRecorder } from "./accounts/quota-recorder.ts";
import { TokenManager } from "./accounts/token-manager.ts";
import type { CoreContext } from "./context.ts";
import { CredentialService } from "./keys/credentials.ts";
import { ModelCatalog } from "./pools/models-catalog.ts";
import { PoolDirectory } from "./pools/pool-directory.ts";
import { PoolUsage } from "./pools/pool-usage.ts";
import { AttemptLoop } from "./relay/attempts.ts";
import { AccountDirectory } from "./routing/account-directory.ts";
import { Router } from "./routing/router.ts";
import { UpstreamJson } from "./support/upstream-call.ts";

export interface Gateway {
  readonly ctx: CoreContext;
  readonly credentials: CredentialService;
  readonly pools: PoolDirectory;
  readonly tokens: TokenManager;
  readonly directory: AccountDirectory;
  readonly router: Router;
  readonly quota: QuotaRecorder;
  /** The one attempt loop (candidates, probe, token with one refresh, ledger, settle). */
  readonly attempts: AttemptLoop;
  /** JSON GETs through a Pool's accounts (catalog, usage, the usage poller). */
  readonly upstreamJson: UpstreamJson;
  readonly models: ModelCatalog;
  /** `/wham/usage` aggregated per Pool (each account's answer cached a minute). */
  readonly usage: PoolUsage;
  /** Gateway-wide switches (the instance MCP gate), cached 5 s. */
  readonly settings: SettingsService;
  /** Failed-authentication allowances per client and per credential (per process, like the caches). */
  readonly throttle: AuthThrottle;
  /**
   * Per-route-class bulkheads, when the host sets them (the local host does; on AWS one instance serves
   * one request and reserved concurrency plays this role).
   */
  readonly admission?: Admission;
}

/** What a host may add to the services every host gets. */
export interface GatewayOptions {
  admission?: Admission;
}

export function createGateway(ctx: CoreContext, options: GatewayOptions = {}): Gateway {
  const directory = new AccountDirectory(ctx);
  const tokens = new TokenManager(ctx);
  const quota = new QuotaRecorder(ctx, directory);
  const router = new Router(ctx, directory);
  const attempts = new AttemptLoop({ ctx, tokens, directory, router, quota });
  const upstreamJson = new UpstreamJson({ ctx, directory, quota, attempts });
  return {
    ctx,
    credentials: new CredentialService(ctx),
    pools: new PoolDirectory(ctx),
    tokens,
    directory,
    router,
    quota,
    attempts,
    upstreamJson,
    models: new ModelCatalog(ctx, upstreamJson),
    usage: new PoolUsage({ clock: ctx.clock, directory, upstream: upstreamJson }),
    settings: new SettingsService(ctx),
    throttle: new AuthThrottle(ctx.clock),
    admission: options.admission,
  };
}

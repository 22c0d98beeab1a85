// Operator scopes (docs/operators.md): an owner sees and changes everything; a Pool admin sees and
// manages only the Pools assigned to it, never instance settings, operators, alert channels, the audit
// trail or other Pools. Admin tokens carry a role and Pool assignments, MCP tokens a Pool list (none:
// the owner view), IAM callers on AWS map to a scope through POOLER_IAM_POOL_ADMINS. Every refusal is a
// 403 `insufficient_scope` that names the scope that was missing.
import { MAX_SCOPE_POOLS, OPERATOR_ROLES } from "../../admin-contract/enums.ts";

export { MAX_SCOPE_POOLS, OPERATOR_ROLES };

import { GatewayError } from "../errors.ts";
import type { Credential } from "../model.ts";

export type OperatorRole = (typeof OPERATOR_ROLES)[number];

export interface Scope {
  role: OperatorRole;
  /** The assigned Pools (a Pool admin's whole world); empty for the owner, who has every Pool. */
  pools: readonly string[];
}

export const OWNER_SCOPE: Scope = Object.freeze({ role: "owner", pools: Object.freeze([]) });

export const poolAdminScope = (pools: readonly string[]): Scope => ({
  role: "pool_admin",
  pools: [...new Set(pools)].sort(),
});

/** The scope an admin or MCP token grants. Tokens from before scopes (no role, no pools) are owners. */
export function credentialScope(credential: Pick<Credential, "role" | "pools">): Scope {
  if (credential.role === "pool_admin" || (credential.role === undefined && credential.pools !== undefined)) {
    return poolAdminScope(credential.pools ?? []);
  }
  return OWNER_SCOPE;
}

export const isOwner = (scope: Scope) => scope.role === "owner";

export const hasPool = (scope: Scope, pool: string) => isOwner(scope) || scope.pools.includes(pool);

/** Pools outside the scope, in order (empty when all are in it). */
export const poolsOutside = (scope: Scope, pools: readonly string[]) =>
  pools.filter((p) => !hasPool(scope, p));

/** The Pool filter to apply to a listing: undefined = every Pool (the owner). */
export const poolFilter = (scope: Scope): readonly string[] | undefined =>
  isOwner(scope) ? undefined : scope.pools;

export function scopeDenied(missing: string, what: string): GatewayError {
  return new GatewayError(
    403,
    "insufficient_scope",
    `${what} needs the \`${missing}\` scope, which this token does not have; ask an owner to ${
      missing === "owner"
        ? "do it, or to use an owner token"
        : `assign Pool ${missing.slice(5)} to this token`
    }`,
    { param: missing },
  );
}

export function requireOwner(scope: Scope, what: string): void {
  if (!isOwner(scope)) throw scopeDenied("owner", what);
}

/** Every Pool must be in scope; the first one that is not is the missing scope. */
export function requirePools(scope: Scope, pools: readonly string[], what: string): void {
  const [outside] = poolsOutside(scope, pools);
  if (outside !== undefined) throw scopeDenied(`pool:${outside}`, what);
}

export const requirePoolScope = (scope: Scope, pool: string, what: string) =>
  requirePools(scope, [pool], what);

/** Any one Pool in scope is enough (reading an account shared with Pools outside the scope). */
export function requireAnyPool(scope: Scope, pools: readonly string[], what: string): void {
  if (isOwner(scope) || pools.some((p) => scope.pools.includes(p))) return;
  throw scopeDenied(`pool:${pools[0] ?? "(none)"}`, what);
}

/** Stable text form for audit details and views: `owner` or `pool_admin:a,b`. */
export const describeScope = (scope: Scope) =>
  isOwner(scope) ? "owner" : `pool_admin:${scope.pools.join(",")}`;

/** Who is calling (the audit actor) and what it may see. */
export interface AdminIdentity {
  actor: string;
  scope: Scope;
}

/**
 * Resolves a request to an operator identity, or undefined when not authorised: a bearer token
 * locally, the IAM caller on AWS. `client` is the caller's address as the firewall resolves it (the
 * failed-auth throttle's key).
 */
export type AdminAuthenticator = (request: Request, client?: string) => Promise<AdminIdentity | undefined>;

// Admin auth on AWS: the admin function URL uses AWS_IAM auth, so Lambda has already verified the
// caller's SigV4 signature and IAM permission (lambda:InvokeFunctionUrl) before the handler runs.
// The actor recorded in audit events is the caller's IAM ARN from the request context. IAM callers
// are owners unless the stack parameter IamPoolAdmins (env POOLER_IAM_POOL_ADMINS) maps their ARN to
// Pools: `<arn>=<pool>+<pool>;<arn-prefix>*=<pool>` (docs/operators.md).

import { type AdminAuthenticator, OWNER_SCOPE, poolAdminScope } from "../../core/access/scope.ts";
import { functionUrlEventOf } from "./function-url-event.ts";

export interface IamPoolAdmin {
  /** An exact caller ARN, or a prefix when it ends in `*`. */
  arn: string;
  pools: string[];
}

const POOL = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Parses POOLER_IAM_POOL_ADMINS; a malformed entry is a configuration error (fails the cold start). */
export function parseIamPoolAdmins(raw: string | undefined): IamPoolAdmin[] {
  if (!raw?.trim()) return [];
  return raw
    .split(";")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      const at = entry.lastIndexOf("=");
      const arn = entry.slice(0, at).trim();
      const pools = entry
        .slice(at + 1)
        .split("+")
        .map((p) => p.trim());
      if (at <= 0 || !arn.startsWith("arn:") || pools.some((p) => !POOL.test(p))) {
        throw new Error(
          "invalid function configuration: POOLER_IAM_POOL_ADMINS entries are `<caller arn>=<pool>+<pool>` separated by `;`",
        );
      }
      return { arn, pools };
    });
}

const matches = (rule: IamPoolAdmin, who: string) =>
  rule.arn.endsWith("*") ? who.startsWith(rule.arn.slice(0, -1)) : who === rule.arn;

export function iamAdminAuthenticator(
  poolAdmins: IamPoolAdmin[] = parseIamPoolAdmins(process.env.POOLER_IAM_POOL_ADMINS),
): AdminAuthenticator {
  return async (request) => {
    const iam = functionUrlEventOf(request)?.requestContext.authorizer?.iam;
    const who = iam?.userArn || iam?.callerId;
    if (!who) return undefined;
    const mapped = poolAdmins.filter((rule) => matches(rule, who));
    const scope = mapped.length > 0 ? poolAdminScope(mapped.flatMap((rule) => rule.pools)) : OWNER_SCOPE;
    return { actor: `iam:${who}`, scope };
  };
}

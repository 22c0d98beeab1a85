// Admin auth on AWS: the admin function URL uses AWS_IAM auth, so Lambda has already verified the
// caller's SigV4 signature and IAM permission (lambda:InvokeFunctionUrl) before the handler runs.
// The actor recorded in audit events is the caller's IAM ARN from the request context.
import type { AdminAuthenticator } from "../../http/middleware/admin-auth.ts";
import { functionUrlEventOf } from "./function-url-event.ts";

export function iamAdminAuthenticator(): AdminAuthenticator {
  return async (request) => {
    const iam = functionUrlEventOf(request)?.requestContext.authorizer?.iam;
    const who = iam?.userArn || iam?.callerId;
    return who ? `iam:${who}` : undefined;
  };
}

// Admin function: /admin/v1/* behind a function URL with AWS_IAM auth. Lambda verifies the caller's
// SigV4 signature before the handler runs; the caller's IAM ARN is the audit actor.
import { streamHandler } from "../src/adapters/lambda/stream-handler.ts";
import { adminFetch } from "../src/server/aws-apps.ts";
import { awsConfigFromEnv, createAwsHost } from "../src/server/aws-host.ts";

const host = createAwsHost(awsConfigFromEnv());

export const handler = streamHandler({
  fetch: adminFetch(host),
  settle: () => host.settle(),
  onError: (error, phase) => host.reportError(error, phase),
});

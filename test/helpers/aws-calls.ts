// One wrapper around every AWS call a Lambda host makes, for the round-trip test
// (helpers/aws-round-trips.ts) and the bench's AWS path (bench/aws-function.ts). Imports types only,
// so the bench's function processes load nothing of the test harness.
import type { AwsHost } from "../../src/server/aws-host.ts";

/**
 * Runs every DynamoDB and Secrets Manager call of one host through `wrap` (named like
 * `dynamodb:GetItem`, `secrets:GetSecretValue`); also used by the bench (bench/aws-function.ts).
 */
export function wrapAwsCalls(
  host: Pick<AwsHost, "dynamo" | "secretsManager">,
  wrap: <T>(action: string, run: () => Promise<T>) => Promise<T>,
): void {
  // The document client shares this stack: one middleware sees every DynamoDB call.
  host.dynamo.middlewareStack.add(
    (next, context) => (args) =>
      wrap(`dynamodb:${String(context.commandName).replace(/Command$/, "")}`, () => next(args)),
    { step: "initialize", name: "awsCallWrapper" },
  );
  const send = host.secretsManager.send.bind(host.secretsManager) as (command: unknown) => Promise<unknown>;
  (host.secretsManager as { send: unknown }).send = (command: { constructor: { name: string } }) =>
    wrap(`secrets:${command.constructor.name.replace(/Command$/, "")}`, () => send(command));
}

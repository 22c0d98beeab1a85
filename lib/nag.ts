// cdk-nag AwsSolutions checks (a CDK policy-validation plugin: any unacknowledged error stops the
// synth) and the acknowledgements this design needs, each on the narrowest construct, with its reason.
import { type App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import type { DataStack } from "./data-stack.ts";
import type { GatewayStack } from "./gateway-stack.ts";

export interface Acknowledgement {
  scope: IConstruct;
  id: string;
  reason: string;
}

export function applyNag(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}

const rule = (id: string) => `AwsSolutions::AwsSolutions-${id}`;
const SECRET_PREFIX_REASON =
  "Upstream account tokens are stored one secret per account, created at run time (account import, token " +
  "refresh), so their names are only known as a prefix. The grant is limited to secret:<prefix>* of this " +
  "deployment and to the listed actions; the KMS key may only be used through Secrets Manager and DynamoDB.";

/** Every acknowledgement of the gateway stack (exported so tests can check each has a reason). */
export function gatewayAcknowledgements(stack: GatewayStack): Acknowledgement[] {
  const secretFinding = rule(
    `IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${stack.secretPrefix}*]`,
  );
  const { runtime, admin, scheduled, websocket, websocketWorker, console: consoleFn } = stack.functions;
  const distribution = stack.edge.distribution;
  const custom = Boolean(stack.node.tryGetContext("domainName"));
  const acks: Acknowledgement[] = [
    ...[runtime, admin, scheduled, websocketWorker, ...(consoleFn ? [consoleFn] : [])].map((f) => ({
      scope: f.role,
      id: secretFinding,
      reason: SECRET_PREFIX_REASON,
    })),
    ...[websocket, websocketWorker].map((f) => ({
      scope: f.role,
      id: rule(
        `IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${stack.getLogicalId(stack.webSocket.api.node.defaultChild as never)}>/v1/*/@connections/*]`,
      ),
      reason:
        "postToConnection/deleteConnection address a connection id only known at run time; the grant is limited " +
        "to the @connections of this API's stage.",
    })),
    {
      scope: stack.node.findChild("OriginSecret"),
      id: rule("SMG4"),
      reason:
        "The origin header value must also change in the CloudFront distribution, which only a deploy can do; " +
        "rotation is an operator procedure (put a new value, redeploy with a new OriginHeaderVersion; the " +
        "function accepts the current and the previous value meanwhile), see docs/deploy-aws.md.",
    },
    {
      scope: distribution,
      id: rule("CFR3"),
      reason:
        "The gateway writes its own metadata-only request log per request (DynamoDB, with retention); CloudFront " +
        "standard logs would add an S3 bucket with ACLs and record client IPs and full URLs for no operational gain.",
    },
    {
      scope: distribution,
      id: rule("CFR1"),
      reason:
        "The gateway serves its operators' own Codex clients wherever they are; Pool API keys gate access.",
    },
    {
      scope: distribution,
      id: rule("CFR2"),
      reason:
        "Every request needs a Pool API key checked by the gateway; WAF ($5/month plus per-rule and per-request " +
        "fees) is left to operators who want IP or rate rules, and can be attached to the distribution later.",
    },
    ...(custom
      ? []
      : [
          {
            scope: distribution,
            id: rule("CFR4"),
            reason:
              "Without a custom domain the distribution uses the default *.cloudfront.net certificate, whose " +
              "minimum protocol AWS fixes at TLSv1; with domainName and certificateArn set, TLSv1.2_2021 applies.",
          },
        ]),
    ...(["$connect", "$disconnect", "$default"] as const).map((route) => ({
      scope: stack.webSocket.api.node.findChild(`${route}-Route`),
      id: rule("APIG4"),
      reason:
        "Clients authenticate with a Pool API key, which the $connect integration checks as every other " +
        "surface does (401 without a valid one); a Lambda authorizer would only add a second invocation per " +
        "connect for the same check. $default and $disconnect run only on connections $connect accepted.",
    })),
    {
      scope: stack.webSocket.stage,
      id: rule("APIG1"),
      reason:
        "Access logging needs the account-wide API Gateway CloudWatch role (AWS::ApiGateway::Account), which a " +
        "per-deployment stack must not own; every route is served by a function that logs to its own log group.",
    },
  ];
  return acks;
}

export function dataAcknowledgements(_stack: DataStack): Acknowledgement[] {
  return [];
}

export function acknowledge(acks: Acknowledgement[]): void {
  for (const { scope, id, reason } of acks) Validations.of(scope).acknowledge({ id, reason });
}

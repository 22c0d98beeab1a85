// The public HTTP path: CloudFront → function URLs (auth NONE + the secret origin header; origin
// access control would require clients to send x-amz-content-sha256 on POST, which Codex and the
// OpenAI SDKs do not). The runtime URL streams (RESPONSE_STREAM); /mcp has its own function, and so
// has the web console (/admin, /admin/*, and the key holder's /observatory) when it is deployed.
import { Duration } from "aws-cdk-lib";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import * as origins from "aws-cdk-lib/aws-cloudfront-origins";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as route53 from "aws-cdk-lib/aws-route53";
import * as targets from "aws-cdk-lib/aws-route53-targets";
import { Construct } from "constructs";
import { ORIGIN_HEADER } from "../../src/adapters/aws/origin-secret.ts";
import type { GatewayConfig } from "../config.ts";
import type { GatewayFunction } from "./gateway-function.ts";
import { ViewerRequestFunction } from "./viewer-request.ts";

/**
 * CloudFront's origin response (read) timeout: the longest it waits for the first byte and between
 * two reads. 60 s is the maximum without a quota increase (up to 180 s with one). The gateway sends
 * an SSE keep-alive every 10 s of upstream silence, so a long-thinking model never reaches it.
 */
export const ORIGIN_READ_TIMEOUT = Duration.seconds(60);
/** Idle keep-alive between CloudFront and the function URL; 60 s is also the no-increase maximum. */
export const ORIGIN_KEEPALIVE_TIMEOUT = Duration.seconds(60);

export interface CloudFrontEdgeProps {
  config: GatewayConfig;
  runtime: GatewayFunction;
  mcp: GatewayFunction;
  /** The web console's function, when deployed. */
  console?: GatewayFunction;
  originHeaderValue: string;
  /** Part of the distribution's comment: changing it makes CloudFormation re-resolve the origin secret. */
  originHeaderVersion: string;
}

export class CloudFrontEdge extends Construct {
  readonly runtimeUrl: lambda.FunctionUrl;
  readonly mcpUrl: lambda.FunctionUrl;
  readonly consoleUrl?: lambda.FunctionUrl;
  readonly distribution: cloudfront.Distribution;
  readonly publicUrl: string;

  constructor(scope: Construct, id: string, props: CloudFrontEdgeProps) {
    super(scope, id);
    const { config } = props;
    this.runtimeUrl = props.runtime.fn.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
    });
    // lambdas/mcp.ts answers through the same stream adapter (and origin check) as the runtime.
    this.mcpUrl = props.mcp.fn.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
    });
    this.consoleUrl = props.console?.fn.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
    });
    const viewerRequest = new ViewerRequestFunction(this, "ViewerRequest");
    const originProps: origins.FunctionUrlOriginProps = {
      readTimeout: ORIGIN_READ_TIMEOUT,
      keepaliveTimeout: ORIGIN_KEEPALIVE_TIMEOUT,
      customHeaders: { [ORIGIN_HEADER]: props.originHeaderValue },
    };
    const behavior = (origin: cloudfront.IOrigin): cloudfront.BehaviorOptions => ({
      origin,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      // Every viewer header, cookie and query string, except Host (a function URL needs its own).
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      // Never buffer an event stream to compress it.
      compress: false,
      functionAssociations: [viewerRequest.association()],
    });
    const mcpBehavior = behavior(new origins.FunctionUrlOrigin(this.mcpUrl, originProps));
    const custom = config.domainName && config.certificateArn;
    this.distribution = new cloudfront.Distribution(this, "Distribution", {
      comment: `Codex Pooler ${config.name} (origin header version ${props.originHeaderVersion})`,
      defaultBehavior: behavior(new origins.FunctionUrlOrigin(this.runtimeUrl, originProps)),
      additionalBehaviors: {
        "/mcp": mcpBehavior,
        "/mcp/*": mcpBehavior,
        ...(this.consoleUrl
          ? consoleBehaviors(behavior(new origins.FunctionUrlOrigin(this.consoleUrl, originProps)))
          : {}),
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableIpv6: true,
      ...(custom
        ? {
            domainNames: [config.domainName as string],
            certificate: acm.Certificate.fromCertificateArn(
              this,
              "Certificate",
              config.certificateArn as string,
            ),
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
    });
    this.publicUrl = `https://${custom ? config.domainName : this.distribution.distributionDomainName}`;
    if (config.hostedZoneId && config.hostedZoneName && config.domainName) {
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, "Zone", {
        hostedZoneId: config.hostedZoneId,
        zoneName: config.hostedZoneName,
      });
      const target = route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(this.distribution));
      new route53.ARecord(this, "AliasA", { zone, recordName: config.domainName, target });
      new route53.AaaaRecord(this, "AliasAAAA", { zone, recordName: config.domainName, target });
    }
  }
}

/**
 * The console's pages and its admin API, and the key holder's dashboard (browser pages too, with the
 * console function's data grants); each twice, since `/admin/*` does not match `/admin`.
 */
function consoleBehaviors(behavior: cloudfront.BehaviorOptions): Record<string, cloudfront.BehaviorOptions> {
  return {
    "/admin": behavior,
    "/admin/*": behavior,
    "/observatory": behavior,
    "/observatory/*": behavior,
  };
}

// A CloudFront Function on every behaviour's viewer request. A function URL origin only sees
// CloudFront: its own domain as Host (the viewer's Host cannot be forwarded to it) and an edge
// address as the source. This passes on what the gateway needs from the viewer: the host it asked
// for (console links and client setup) and its address (failed-auth limits per client). The
// gateway trusts both only with a valid origin header (src/adapters/lambda/function-url-event.ts)
// and overwrites whatever a viewer sent under these names.
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import { Construct } from "constructs";
import {
  FORWARDED_HOST_HEADER,
  VIEWER_ADDRESS_HEADER,
} from "../../src/adapters/lambda/function-url-event.ts";

/** cloudfront-js-2.0 source; exported so a test can run it on sample events. */
export const VIEWER_REQUEST_CODE = `function handler(event) {
  var request = event.request;
  var host = request.headers.host;
  if (host) {
    request.headers["${FORWARDED_HOST_HEADER}"] = { value: host.value };
  } else {
    delete request.headers["${FORWARDED_HOST_HEADER}"];
  }
  request.headers["${VIEWER_ADDRESS_HEADER}"] = { value: event.viewer.ip };
  return request;
}`;

export class ViewerRequestFunction extends Construct {
  readonly fn: cloudfront.Function;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.fn = new cloudfront.Function(this, "Function", {
      code: cloudfront.FunctionCode.fromInline(VIEWER_REQUEST_CODE),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      comment: "Codex Pooler: pass the viewer's host and address to the function URL origins",
    });
  }

  association(): cloudfront.FunctionAssociation {
    return { function: this.fn, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST };
  }
}

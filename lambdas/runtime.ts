// Runtime function: /backend-api/* and /v1/* behind CloudFront, streamed through a RESPONSE_STREAM
// function URL. Every request must carry CloudFront's origin header.
import { streamHandler } from "../src/adapters/lambda/stream-handler.ts";
import { publicFetch, publicStreamOptions } from "../src/server/aws-apps.ts";
import { awsConfigFromEnv, createAwsHost } from "../src/server/aws-host.ts";

const host = createAwsHost(awsConfigFromEnv());

export const handler = streamHandler(publicStreamOptions(host, publicFetch(host)));

// Console function: the operator web console (/admin) and the admin API it calls (/admin/v1), behind
// CloudFront with the origin header check; operators sign in with an admin token.

import { streamHandler } from "../src/adapters/lambda/stream-handler.ts";
import { publicStreamOptions } from "../src/server/aws-apps.ts";
import { consoleFetch } from "../src/server/aws-console.ts";
import { awsConfigFromEnv, createAwsHost } from "../src/server/aws-host.ts";

const host = createAwsHost(awsConfigFromEnv());

export const handler = streamHandler(publicStreamOptions(host, consoleFetch(host)));

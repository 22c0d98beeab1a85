// Scheduled function: EventBridge rules name the job in `detail.task` (see lib/constructs/schedules.ts).

import { awsConfigFromEnv, createAwsHost } from "../src/server/aws-host.ts";
import { scheduledHandler } from "../src/server/aws-scheduled.ts";

export const handler = scheduledHandler(createAwsHost(awsConfigFromEnv()));

import { DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Clock, Store } from "../../core/ports.ts";
import { DynamoAccountRepository } from "./account-repository.ts";
import { DynamoAlertChannelRepository, DynamoAlertRuleRepository } from "./alert-config-repositories.ts";
import { DynamoAlertDeliveryRepository } from "./alert-delivery-repository.ts";
import { DynamoAlertIncidentRepository } from "./alert-incident-repository.ts";
import { DynamoAlertScheduleRepository } from "./alert-schedule-repository.ts";
import { DynamoAuditRepository } from "./audit-repository.ts";
import { DynamoCredentialRepository } from "./credential-repository.ts";
import { DynamoFileRepository } from "./file-repository.ts";
import { DynamoKeyUsageRepository } from "./key-usage-repository.ts";
import { DynamoOAuthFlowRepository } from "./oauth-flow-repository.ts";
import { DynamoPinRepository } from "./pin-repository.ts";
import { DynamoPoolRepository } from "./pool-repository.ts";
import { DynamoRequestLogRepository } from "./request-log-repository.ts";
import { DynamoRoutingStateRepository } from "./routing-state-repository.ts";
import { DynamoSettingsRepository } from "./settings-repository.ts";
import type { TableNames } from "./tables.ts";
import { DynamoUsageRollupRepository } from "./usage-rollup-repository.ts";

export interface DynamoStoreOptions {
  client: DynamoDBClient;
  tables: TableNames;
  clock: Clock;
  requestLogRetentionDays: number;
}

/** The one data layer: the same code talks to DynamoDB on AWS and to the embedded emulator locally. */
export function createDynamoStore(options: DynamoStoreOptions): Store {
  const db = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const { state, requestLogs } = options.tables;
  return {
    pools: new DynamoPoolRepository(db, state),
    accounts: new DynamoAccountRepository(db, state),
    credentials: new DynamoCredentialRepository(db, state),
    audit: new DynamoAuditRepository(db, state),
    requestLogs: new DynamoRequestLogRepository(
      db,
      requestLogs,
      options.clock,
      options.requestLogRetentionDays,
    ),
    routing: new DynamoRoutingStateRepository(db, state),
    pins: new DynamoPinRepository(db, state),
    files: new DynamoFileRepository(db, state, options.clock),
    oauthFlows: new DynamoOAuthFlowRepository(db, state),
    keyUsage: new DynamoKeyUsageRepository(db, state),
    usageRollups: new DynamoUsageRollupRepository(db, state),
    settings: new DynamoSettingsRepository(db, state),
    alerts: {
      rules: new DynamoAlertRuleRepository(db, state),
      channels: new DynamoAlertChannelRepository(db, state),
      incidents: new DynamoAlertIncidentRepository(db, state),
      deliveries: new DynamoAlertDeliveryRepository(db, state),
      schedule: new DynamoAlertScheduleRepository(db, state),
    },
    async ping() {
      await options.client.send(new DescribeTableCommand({ TableName: state }));
    },
  };
}

export function dynamoClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({ maxAttempts: 3, ...config });
}

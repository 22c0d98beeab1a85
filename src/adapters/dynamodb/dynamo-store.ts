import { DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Clock, Store } from "../../core/ports.ts";
import { DynamoAccountRepository } from "./account-repository.ts";
import { DynamoAlertChannelRepository, DynamoAlertRuleRepository } from "./alert-config-repositories.ts";
import { DynamoAlertDeliveryRepository } from "./alert-delivery-repository.ts";
import { DynamoAlertIncidentRepository } from "./alert-incident-repository.ts";
import { DynamoAlertScheduleRepository } from "./alert-schedule-repository.ts";
import { DynamoAuditRepository } from "./audit-repository.ts";
import { batchingPutWriter, directPutWriter } from "./batch-writer.ts";
import { DynamoCredentialRepository } from "./credential-repository.ts";
import { DynamoFileRepository } from "./file-repository.ts";
import { DynamoInviteRepository } from "./invite-repository.ts";
import { DynamoKeyUsageRepository } from "./key-usage-repository.ts";
import { DynamoOAuthFlowRepository } from "./oauth-flow-repository.ts";
import { DynamoObservatorySessionRepository } from "./observatory-session-repository.ts";
import { DynamoPinRepository } from "./pin-repository.ts";
import { DynamoPoolRepository } from "./pool-repository.ts";
import { DynamoPoolSlotRepository } from "./pool-slot-repository.ts";
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
  /**
   * Gathers request-log rows and continuity pins for this long and writes them with BatchWriteItem.
   * Local host only: a frozen Lambda instance would lose a pending batch.
   */
  batchPutsMs?: number;
  /**
   * AWS: a turn's continuity pins wait (at most this long) for its request-log row and go with it in
   * one BatchWriteItem. The host awaits every background write before the invocation returns.
   */
  turnPutsMs?: number;
}

export interface DynamoStore extends Store {
  /** Writes every batched put now (shutdown). */
  flushPuts(): Promise<void>;
}

/**
 * The document client for a DynamoDB client. Every one must come from here: lib-dynamodb keeps its
 * marshalling options on the DynamoDB client's shared config, so a second document client built with
 * other options (or none) silently changes them for the store's too (optional fields left unset then
 * fail every write).
 */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** The one data layer: the same code talks to DynamoDB on AWS and to the embedded emulator locally. */
export function createDynamoStore(options: DynamoStoreOptions): DynamoStore {
  const db = documentClient(options.client);
  const { state, requestLogs } = options.tables;
  const writer = options.batchPutsMs
    ? batchingPutWriter(db, { flushMs: options.batchPutsMs })
    : options.turnPutsMs
      ? batchingPutWriter(db, { flushMs: options.turnPutsMs, flushWith: requestLogs })
      : directPutWriter(db);
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
      writer,
    ),
    routing: new DynamoRoutingStateRepository(db, state),
    pins: new DynamoPinRepository(db, state, writer),
    files: new DynamoFileRepository(db, state, options.clock),
    oauthFlows: new DynamoOAuthFlowRepository(db, state),
    keyUsage: new DynamoKeyUsageRepository(db, state),
    usageRollups: new DynamoUsageRollupRepository(db, state),
    settings: new DynamoSettingsRepository(db, state),
    invites: new DynamoInviteRepository(db, state),
    observatorySessions: new DynamoObservatorySessionRepository(db, state),
    poolSlots: new DynamoPoolSlotRepository(db, state),
    alerts: {
      rules: new DynamoAlertRuleRepository(db, state),
      channels: new DynamoAlertChannelRepository(db, state),
      incidents: new DynamoAlertIncidentRepository(db, state),
      deliveries: new DynamoAlertDeliveryRepository(db, state),
      schedule: new DynamoAlertScheduleRepository(db, state),
    },
    flushPuts: () => writer.flush(),
    async ping() {
      await options.client.send(new DescribeTableCommand({ TableName: state }));
    },
  };
}

export function dynamoClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({ maxAttempts: 3, ...config });
}

// What SigV4 would send for the local credentials (key `local`, region `local`): emulators check that
// an Authorization header of this shape is there, never the signature itself.
const LOCAL_AUTHORIZATION =
  "AWS4-HMAC-SHA256 Credential=local/20000101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0";

/**
 * A client for a local emulator (the embedded one, or `POOLER_DYNAMODB_ENDPOINT`): requests carry a
 * fixed authorization header instead of a signature. Hashing and signing every call was a tenth of the
 * local gateway's CPU, for a check the emulator does not make.
 */
export function localEmulatorClient(endpoint: string): DynamoDBClient {
  return dynamoClient({
    endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    httpAuthSchemes: [
      {
        schemeId: "aws.auth#sigv4",
        // No credential chain is resolved either.
        identityProvider: () => async () => ({
          accessKeyId: "local",
          secretAccessKey: "local",
          expiration: undefined,
        }),
        signer: {
          async sign(request) {
            const signed = request as typeof request & { headers: Record<string, string> };
            signed.headers.authorization = LOCAL_AUTHORIZATION;
            signed.headers["x-amz-date"] = "20000101T000000Z";
            return signed;
          },
        },
      },
    ],
  });
}

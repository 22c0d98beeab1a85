// Data: the two DynamoDB tables exactly as src/adapters/dynamodb/tables.ts declares them (keys, gsi1,
// on-demand), plus point-in-time recovery, TTL on `expiresAt` and encryption with the deployment's
// KMS key, which also encrypts the account-token secrets. Kept apart from the gateway stack so the
// gateway can be destroyed and redeployed without touching data; retained on delete unless devMode.
import { RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as kms from "aws-cdk-lib/aws-kms";
import type { Construct } from "constructs";
import { type TableNames, TTL_ATTRIBUTE, tableDefinitions } from "../src/adapters/dynamodb/tables.ts";
import type { Tables } from "./constructs/access.ts";

export interface DataStackProps extends StackProps {
  devMode: boolean;
}

export class DataStack extends Stack implements Tables {
  readonly key: kms.Key;
  readonly state: dynamodb.Table;
  readonly requestLogs: dynamodb.Table;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const removalPolicy = props.devMode ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    this.key = new kms.Key(this, "Key", {
      description: "Codex Pooler: DynamoDB tables and upstream account token secrets",
      enableKeyRotation: true,
      removalPolicy,
    });
    // Logical names only; physical names are generated so two deployments never collide.
    const logical: Record<keyof TableNames, string> = { state: "State", requestLogs: "RequestLogs" };
    const definitions = tableDefinitions({ state: "state", requestLogs: "requestLogs" });
    const tables = {} as Record<keyof TableNames, dynamodb.Table>;
    for (const definition of definitions) {
      const which = definition.TableName as keyof TableNames;
      const key = (type: "HASH" | "RANGE") => attribute(definition, definition.KeySchema, type);
      const table = new dynamodb.Table(this, logical[which], {
        partitionKey: key("HASH") as dynamodb.Attribute,
        sortKey: key("RANGE"),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.key,
        timeToLiveAttribute: TTL_ATTRIBUTE,
        deletionProtection: !props.devMode,
        removalPolicy,
      });
      for (const index of definition.GlobalSecondaryIndexes ?? []) {
        if (index.Projection?.ProjectionType !== "ALL")
          throw new Error(`index ${index.IndexName}: only ALL projections are mapped`);
        table.addGlobalSecondaryIndex({
          indexName: index.IndexName as string,
          partitionKey: attribute(definition, index.KeySchema, "HASH") as dynamodb.Attribute,
          sortKey: attribute(definition, index.KeySchema, "RANGE"),
          projectionType: dynamodb.ProjectionType.ALL,
        });
      }
      tables[which] = table;
    }
    this.state = tables.state;
    this.requestLogs = tables.requestLogs;
  }
}

type Definition = ReturnType<typeof tableDefinitions>[number];

function attribute(
  definition: Definition,
  schema: { AttributeName?: string; KeyType?: string }[] | undefined,
  type: "HASH" | "RANGE",
): dynamodb.Attribute | undefined {
  const name = schema?.find((k) => k.KeyType === type)?.AttributeName;
  if (!name) return undefined;
  const kind = definition.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType;
  const types: Record<string, dynamodb.AttributeType> = {
    S: dynamodb.AttributeType.STRING,
    N: dynamodb.AttributeType.NUMBER,
    B: dynamodb.AttributeType.BINARY,
  };
  const mapped = kind ? types[kind] : undefined;
  if (!mapped) throw new Error(`table ${definition.TableName}: attribute ${name} has no type`);
  return { name, type: mapped };
}

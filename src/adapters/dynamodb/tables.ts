// Table layout shared by the local host (which creates the tables in the embedded emulator) and the
// CDK data stack (which declares the same keys). See docs/data-model.md.
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from "@aws-sdk/client-dynamodb";

export interface TableNames {
  state: string;
  requestLogs: string;
}

export const tableNames = (prefix: string): TableNames => ({
  state: `${prefix}state`,
  requestLogs: `${prefix}request-logs`,
});

export const GSI1 = "gsi1";

/** Epoch seconds after which an item may be deleted (DynamoDB TTL on AWS, the expiry sweep locally). */
export const TTL_ATTRIBUTE = "expiresAt";

export function tableDefinitions(names: TableNames): CreateTableCommandInput[] {
  return [
    {
      TableName: names.state,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
        { AttributeName: "gsi1pk", AttributeType: "S" },
        { AttributeName: "gsi1sk", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: GSI1,
          KeySchema: [
            { AttributeName: "gsi1pk", KeyType: "HASH" },
            { AttributeName: "gsi1sk", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    },
    {
      TableName: names.requestLogs,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
    },
  ];
}

/** Creates missing tables and waits until they are ACTIVE (the emulator takes a moment). */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  for (const definition of tableDefinitions(names)) {
    try {
      await client.send(new CreateTableCommand(definition));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    for (let attempt = 0; attempt < 100; attempt++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
      const indexesReady = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === "ACTIVE");
      if (Table?.TableStatus === "ACTIVE" && indexesReady) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

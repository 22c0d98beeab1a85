// Least-privilege grants, written out action by action (no `dynamodb:*`, no `kms:GenerateDataKey*`),
// so the template shows exactly what each function may do.
import { Aws } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import { GSI1 } from "../../src/adapters/dynamodb/tables.ts";

export type TableAction =
  | "GetItem"
  | "PutItem"
  | "UpdateItem"
  | "DeleteItem"
  | "Query"
  | "BatchWriteItem"
  | "DescribeTable";

export interface Tables {
  state: dynamodb.ITable;
  requestLogs: dynamodb.ITable;
}

export interface TableAccess {
  state: TableAction[];
  requestLogs: TableAction[];
}

export function grantTables(role: iam.IRole, tables: Tables, access: TableAccess): void {
  const statement = (table: dynamodb.ITable, actions: TableAction[], index?: string) =>
    new iam.PolicyStatement({
      actions: actions.map((a) => `dynamodb:${a}`),
      resources: [
        table.tableArn,
        ...(index && actions.includes("Query") ? [`${table.tableArn}/index/${index}`] : []),
      ],
    });
  if (access.state.length) role.addToPrincipalPolicy(statement(tables.state, access.state, GSI1));
  if (access.requestLogs.length) role.addToPrincipalPolicy(statement(tables.requestLogs, access.requestLogs));
}

export type SecretAction =
  | "GetSecretValue"
  | "PutSecretValue"
  | "CreateSecret"
  | "DeleteSecret"
  | "TagResource";

/**
 * Account tokens (and other runtime secrets) are created at run time, one secret per name under
 * `prefix`, so the grant is on `secret:<prefix>*` only. Their KMS key may be used only through
 * Secrets Manager and DynamoDB.
 */
export function grantSecretStore(role: iam.IRole, prefix: string, actions: SecretAction[]): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: actions.map((a) => `secretsmanager:${a}`),
      resources: [secretPrefixArn(prefix)],
    }),
  );
}

export function secretPrefixArn(prefix: string): string {
  return `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${prefix}*`;
}

export function grantKeyUse(role: iam.IRole, key: kms.IKey, mode: "read" | "read-write"): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: mode === "read" ? ["kms:Decrypt"] : ["kms:Decrypt", "kms:GenerateDataKey"],
      resources: [key.keyArn],
      conditions: {
        StringEquals: {
          "kms:ViaService": [
            `secretsmanager.${Aws.REGION}.amazonaws.com`,
            `dynamodb.${Aws.REGION}.amazonaws.com`,
          ],
        },
      },
    }),
  );
}

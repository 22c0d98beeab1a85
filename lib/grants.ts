// What each function may do with the data, as plain data: the stack turns it into IAM statements
// (lib/constructs/access.ts), the template test checks the statements against it, and the handler
// tests check that every DynamoDB and Secrets Manager call a function makes is in it.
import type { SecretAction, TableAction } from "./constructs/access.ts";

export interface FunctionGrants {
  state: TableAction[];
  requestLogs: TableAction[];
  /** On the account secrets (`secret:<prefix>*`). */
  secrets: SecretAction[];
  /** Reads the CloudFront origin secret. */
  originSecret: boolean;
  kms: "none" | "read" | "read-write";
}

// The admin API's data access, shared by the IAM admin function and the console's function.
const ADMIN_GRANTS = {
  state: ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "DescribeTable"],
  requestLogs: ["GetItem", "Query"],
  secrets: ["GetSecretValue", "PutSecretValue", "CreateSecret", "DeleteSecret", "TagResource"],
  originSecret: false,
  kms: "read-write",
} as const satisfies FunctionGrants;

export const FUNCTION_GRANTS = {
  // BatchWriteItem: a turn's request-log row and continuity pins go in one call, after the stream.
  runtime: {
    state: ["GetItem", "PutItem", "UpdateItem", "BatchWriteItem", "Query", "DescribeTable"],
    requestLogs: ["PutItem", "BatchWriteItem"],
    secrets: ["GetSecretValue", "PutSecretValue"],
    originSecret: true,
    kms: "read-write",
  },
  admin: ADMIN_GRANTS,
  // The web console behind CloudFront: the admin API it calls, reached with admin tokens.
  console: { ...ADMIN_GRANTS, originSecret: true },
  mcp: {
    state: ["GetItem", "UpdateItem", "Query", "DescribeTable"],
    requestLogs: ["GetItem", "Query"],
    secrets: [],
    originSecret: true,
    kms: "read",
  },
  scheduled: {
    // DeleteItem: alert evaluation frees an incident's dedupe-key pointer when it resolves.
    state: ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query"],
    requestLogs: ["Query", "BatchWriteItem"],
    secrets: ["GetSecretValue", "PutSecretValue"],
    originSecret: false,
    kms: "read-write",
  },
  // WebSocket API routes: connection items, key checks and policy counters, warm-up request logs.
  websocket: {
    state: ["GetItem", "PutItem", "UpdateItem", "DeleteItem"],
    requestLogs: ["PutItem", "BatchWriteItem"],
    secrets: [],
    originSecret: false,
    kms: "read-write",
  },
  // WebSocket turns: the runtime's relay (tokens, routing state, request logs) plus the turn claim.
  websocketWorker: {
    state: ["GetItem", "PutItem", "UpdateItem", "BatchWriteItem", "Query"],
    requestLogs: ["PutItem", "BatchWriteItem"],
    secrets: ["GetSecretValue", "PutSecretValue"],
    originSecret: false,
    kms: "read-write",
  },
} as const satisfies Record<string, FunctionGrants>;

export type GrantedFunction = keyof typeof FUNCTION_GRANTS;

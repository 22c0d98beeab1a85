import { randomBytes, randomUUID } from "node:crypto";

/** Time-sortable id: ms timestamp (base36, fixed width) + random tail, so lexical order is time order. */
export function sortableId(prefix: string, nowMs: number): string {
  return `${prefix}_${nowMs.toString(36).padStart(9, "0")}${randomBytes(6).toString("hex")}`;
}

export function accountId(): string {
  return `acc_${randomBytes(8).toString("hex")}`;
}

export function requestId(): string {
  return `req_${randomUUID().replaceAll("-", "")}`;
}

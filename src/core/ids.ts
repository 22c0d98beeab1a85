import { randomBytes, randomUUID } from "node:crypto";

/** Time-sortable id: ms timestamp (base36, fixed width) + random tail, so lexical order is time order. */
export function sortableId(prefix: string, nowMs: number): string {
  return `${prefix}_${nowMs.toString(36).padStart(9, "0")}${randomBytes(6).toString("hex")}`;
}

/** The epoch ms a `sortableId` was minted at, or undefined when the id is not one. */
export function sortableIdTime(id: string): number | undefined {
  const match = /^[a-z]+_([0-9a-z]{9})[0-9a-f]{12}$/.exec(id);
  if (!match?.[1]) return undefined;
  const ms = Number.parseInt(match[1], 36);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

export function accountId(): string {
  return `acc_${randomBytes(8).toString("hex")}`;
}

/** Names this process in refresh leases: `<host>-<8 hex>`. */
export function instanceId(host: string): string {
  return `${host}-${randomBytes(4).toString("hex")}`;
}

export function requestId(): string {
  return `req_${randomUUID().replaceAll("-", "")}`;
}

import { randomBytes, randomFillSync, randomUUID } from "node:crypto";

// The random tails of sortable ids come from a pool refilled 4 KB at a time (as randomUUID does):
// one randomBytes call per id cost more than the rest of the id; the bytes are the same CSPRNG's.
const POOL_BYTES = 4096;
const TAIL_BYTES = 6;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

function randomTail(): string {
  if (offset + TAIL_BYTES > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const tail = pool.toString("hex", offset, offset + TAIL_BYTES);
  offset += TAIL_BYTES;
  return tail;
}

/** Time-sortable id: ms timestamp (base36, fixed width) + random tail, so lexical order is time order. */
export function sortableId(prefix: string, nowMs: number): string {
  return `${prefix}_${nowMs.toString(36).padStart(9, "0")}${randomTail()}`;
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

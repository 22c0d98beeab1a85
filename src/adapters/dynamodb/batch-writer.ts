// Unconditional puts gathered for a short window and written with BatchWriteItem (25 items a call).
// The local host uses it for the rows every request writes and nothing reads back at once (request-log
// rows, continuity pins): with the embedded emulator each store call costs SDK and emulator CPU on the
// gateway's own machine, and one batch call replaces dozens. On AWS a turn's puts go together: the
// pins a turn writes wait for its request-log row (`flushWith`) and the two travel in one
// BatchWriteItem, after the stream; the host awaits every put before the invocation returns, so a
// frozen instance holds no pending batch.
// A put resolves once its item is written. Items not yet written can be read back by key (`pending`),
// so an instance reads its own writes; `flush()` writes everything now (list queries, shutdown).
import { BatchWriteCommand, type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";

/** DynamoDB's limit of items per BatchWriteItem call. */
const BATCH_ITEMS = 25;
/** Rounds of UnprocessedItems retries before the leftovers are written one by one. */
const UNPROCESSED_RETRIES = 3;

type Item = Record<string, unknown> & { pk: string; sk: string };

interface Entry {
  table: string;
  item: Item;
  waiters: { resolve(): void; reject(error: unknown): void }[];
}

export interface PutWriter {
  put(table: string, item: Item): Promise<void>;
  /** The item waiting to be written under this key, if any. */
  pending(table: string, pk: string, sk: string): Item | undefined;
  flush(): Promise<void>;
}

/** Writes each put at once (the AWS hosts). */
export function directPutWriter(db: DynamoDBDocumentClient): PutWriter {
  return {
    async put(table, item) {
      await db.send(new PutCommand({ TableName: table, Item: item }));
    },
    pending: () => undefined,
    flush: async () => undefined,
  };
}

export function batchingPutWriter(
  db: DynamoDBDocumentClient,
  options: {
    /** The longest a put waits for others. */
    flushMs: number;
    /** A put to this table writes the batch at once (on AWS: the request log, a turn's last write). */
    flushWith?: string;
  },
): PutWriter {
  // Keyed by table and item key: a batch may not name one item twice, and the last put wins anyway.
  let queue = new Map<string, Entry>();
  let timer: NodeJS.Timeout | undefined;
  const keyOf = (table: string, pk: string, sk: string) => `${table}\u0000${pk}\u0000${sk}`;

  const writeChunk = async (entries: Entry[]): Promise<void> => {
    let requests: Record<string, { PutRequest: { Item: Item } }[]> = {};
    for (const { table, item } of entries) {
      requests[table] = [...(requests[table] ?? []), { PutRequest: { Item: item } }];
    }
    for (let round = 0; round <= UNPROCESSED_RETRIES && Object.keys(requests).length > 0; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** round));
      const out = await db.send(new BatchWriteCommand({ RequestItems: requests }));
      requests = (out.UnprocessedItems ?? {}) as typeof requests;
    }
    // Throttled leftovers: one put each, with the SDK's own retries.
    for (const [table, rest] of Object.entries(requests)) {
      for (const r of rest) await db.send(new PutCommand({ TableName: table, Item: r.PutRequest.Item }));
    }
  };

  // Items being written stay readable until their batch lands; flush() waits for those batches too.
  const inflight = new Map<string, Item>();
  const writing = new Set<Promise<void>>();

  const writeEntries = async (entries: Entry[]): Promise<void> => {
    const chunks: Entry[][] = [];
    for (let i = 0; i < entries.length; i += BATCH_ITEMS) chunks.push(entries.slice(i, i + BATCH_ITEMS));
    await Promise.all(
      chunks.map((chunk) =>
        writeChunk(chunk).then(
          () => {
            for (const entry of chunk) for (const w of entry.waiters) w.resolve();
          },
          (error: unknown) => {
            for (const entry of chunk) for (const w of entry.waiters) w.reject(error);
          },
        ),
      ),
    );
  };

  const flush = async (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (queue.size > 0) {
      const batch = queue;
      queue = new Map();
      for (const [key, entry] of batch) inflight.set(key, entry.item);
      const done = writeEntries([...batch.values()]).finally(() => {
        for (const [key, entry] of batch) if (inflight.get(key) === entry.item) inflight.delete(key);
        writing.delete(done);
      });
      writing.add(done);
    }
    await Promise.all(writing);
  };

  return {
    put(table, item) {
      return new Promise<void>((resolve, reject) => {
        const key = keyOf(table, item.pk, item.sk);
        const waiters = queue.get(key)?.waiters ?? [];
        waiters.push({ resolve, reject });
        queue.set(key, { table, item, waiters });
        if (queue.size >= BATCH_ITEMS || table === options.flushWith) void flush();
        else timer ??= setTimeout(() => void flush(), options.flushMs);
      });
    },
    pending(table, pk, sk) {
      const key = keyOf(table, pk, sk);
      return queue.get(key)?.item ?? inflight.get(key);
    },
    flush,
  };
}

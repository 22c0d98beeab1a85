// Just enough LevelDB reading for byte searches in the embedded store's files: the write-ahead log
// splits records at 32 KiB block boundaries, and table files (.ldb/.sst) hold snappy-compressed blocks
// with prefix-compressed keys, so a plain byte search of either can miss a stored string.
// Format: https://github.com/google/leveldb/blob/main/doc/log_format.md and table_format.md.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const LOG_BLOCK = 32 * 1024;
const LOG_HEADER = 7;
const TABLE_MAGIC = 0xdb4775248b80fb57n;

function varint(bytes: Buffer, pos: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[pos++];
    if (byte === undefined) throw new Error("varint past the end");
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, pos];
    shift += 7;
  }
}

/** The write-ahead log's record payloads, fragments joined (the batches as written). */
export function walPayload(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  while (pos + LOG_HEADER <= bytes.length) {
    const left = LOG_BLOCK - (pos % LOG_BLOCK);
    if (left < LOG_HEADER) {
      pos += left; // block trailer padding
      continue;
    }
    const length = bytes.readUInt16LE(pos + 4);
    const type = bytes[pos + 6];
    if (type === 0 && length === 0) {
      pos += left; // zero-filled rest of the block
      continue;
    }
    parts.push(bytes.subarray(pos + LOG_HEADER, pos + LOG_HEADER + length));
    pos += LOG_HEADER + length;
  }
  return Buffer.concat(parts);
}

/** Raw snappy (not the framed format). */
export function snappyDecompress(input: Buffer): Buffer {
  const [length, start] = varint(input, 0);
  const out = Buffer.alloc(length);
  let o = 0;
  let i = start;
  while (i < input.length) {
    const tag = input[i++] as number;
    const kind = tag & 3;
    if (kind === 0) {
      let len = (tag >> 2) + 1;
      if (len > 60) {
        const extra = len - 60;
        len = input.readUIntLE(i, extra) + 1;
        i += extra;
      }
      input.copy(out, o, i, i + len);
      o += len;
      i += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      len = ((tag >> 2) & 7) + 4;
      offset = ((tag >> 5) << 8) | (input[i++] as number);
    } else if (kind === 2) {
      len = (tag >> 2) + 1;
      offset = input.readUInt16LE(i);
      i += 2;
    } else {
      len = (tag >> 2) + 1;
      offset = input.readUInt32LE(i);
      i += 4;
    }
    if (offset === 0 || offset > o) throw new Error("snappy: bad copy offset");
    for (let k = 0; k < len; k++, o++) out[o] = out[o - offset] as number;
  }
  if (o !== length) throw new Error("snappy: length mismatch");
  return out;
}

function readBlock(file: Buffer, offset: number, size: number): Buffer {
  const contents = file.subarray(offset, offset + size);
  const type = file[offset + size];
  if (type === 0) return contents;
  if (type === 1) return snappyDecompress(contents);
  throw new Error(`unknown block compression ${type}`);
}

/** A block's entries with their keys restored from the prefix encoding. */
function blockEntries(block: Buffer): { key: Buffer; value: Buffer }[] {
  const restarts = block.readUInt32LE(block.length - 4);
  const end = block.length - 4 - 4 * restarts;
  const entries: { key: Buffer; value: Buffer }[] = [];
  let previous = Buffer.alloc(0);
  let pos = 0;
  while (pos < end) {
    const [shared, a] = varint(block, pos);
    const [unshared, b] = varint(block, a);
    const [valueLength, c] = varint(block, b);
    const key = Buffer.concat([previous.subarray(0, shared), block.subarray(c, c + unshared)]);
    const value = block.subarray(c + unshared, c + unshared + valueLength);
    entries.push({ key, value });
    previous = key;
    pos = c + unshared + valueLength;
  }
  return entries;
}

/** Every key and value in a table file, decompressed, one after another. */
export function tableContents(file: Buffer): Buffer {
  const footer = file.subarray(file.length - 48);
  if (footer.readBigUInt64LE(40) !== TABLE_MAGIC) throw new Error("not a LevelDB table");
  const [, a] = varint(footer, 0); // metaindex offset
  const [, b] = varint(footer, a); // metaindex size
  const [indexOffset, c] = varint(footer, b);
  const [indexSize] = varint(footer, c);
  const parts: Buffer[] = [];
  for (const { value: handle } of blockEntries(readBlock(file, indexOffset, indexSize))) {
    const [offset, next] = varint(handle, 0);
    const [size] = varint(handle, next);
    for (const entry of blockEntries(readBlock(file, offset, size))) parts.push(entry.key, entry.value);
  }
  return Buffer.concat(parts);
}

/** Every file of a data directory's embedded DynamoDB, LevelDB logs and tables decoded, so a stored string is found. */
export function dynamoFiles(dataDir: string): Buffer[] {
  const dir = join(dataDir, "dynamodb");
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .flatMap((entry) => {
      const bytes = readFileSync(join(entry.parentPath, entry.name));
      if (/\.log$/.test(entry.name)) return [bytes, walPayload(bytes)];
      if (/\.(ldb|sst)$/.test(entry.name)) return [bytes, tableContents(bytes)];
      return [bytes];
    });
}

/** Whether a string is anywhere in the embedded store's files. */
export const inDynamo = (dataDir: string, needle: string) =>
  dynamoFiles(dataDir).some((b) => b.includes(Buffer.from(needle, "utf8")));

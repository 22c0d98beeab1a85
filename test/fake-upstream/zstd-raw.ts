/**
 * Minimal zstd *encoder* that emits a valid frame made of raw (stored) blocks.
 * Node 20 has no zstd compressor, and fzstd only decompresses; this lets tests send
 * `content-encoding: zstd` bodies without a native dependency.
 */
const MAX_BLOCK = 128 * 1024;

export function zstdRawFrame(data: Uint8Array | string): Buffer {
  const input = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
  // Magic, then descriptor 0xA0: Single_Segment + 4-byte Frame_Content_Size, no checksum/dictionary.
  const header = Buffer.alloc(9);
  header.writeUInt32LE(0xfd2fb528, 0);
  header.writeUInt8(0xa0, 4);
  header.writeUInt32LE(input.length, 5);
  const parts: Buffer[] = [header];
  let offset = 0;
  do {
    const size = Math.min(MAX_BLOCK, input.length - offset);
    const last = offset + size >= input.length ? 1 : 0;
    // Block header: bit0 Last_Block, bits1-2 Block_Type (0 = Raw), bits3-23 Block_Size.
    const blockHeader = (size << 3) | last;
    parts.push(Buffer.from([blockHeader & 0xff, (blockHeader >> 8) & 0xff, (blockHeader >> 16) & 0xff]));
    parts.push(input.subarray(offset, offset + size));
    offset += size;
  } while (offset < input.length);
  return Buffer.concat(parts);
}

/** A block of a hand-built zstd frame: stored bytes, a run of one byte, or a header only. */
export type ZstdBlock =
  | { type: "raw"; data: Uint8Array }
  | { type: "rle"; byte: number; size: number }
  /** Compressed (2) or reserved (3): the header with `size` and that many filler bytes. */
  | { type: "compressed" | "reserved"; size: number };

/** Every field of a zstd frame header (RFC 8878 §3.1.1), including the ones a hostile client lies in. */
export interface ZstdFrameSpec {
  blocks: ZstdBlock[];
  /** Single_Segment_flag: no window descriptor; the window is the content size. */
  singleSegment?: boolean;
  /** Window_Descriptor byte (exponent << 3 | mantissa); ignored in single-segment frames. Default 128 KiB. */
  windowDescriptor?: number;
  /** Frame_Content_Size as written; omitted in a multi-segment frame means none. */
  contentSize?: number;
  /** Width of Frame_Content_Size; default the smallest that holds it. */
  contentSizeBytes?: 1 | 2 | 4 | 8;
  dictionaryId?: number;
  checksum?: boolean;
  reservedBit?: boolean;
}

const BLOCK_TYPES = { raw: 0, rle: 1, compressed: 2, reserved: 3 } as const;

export function zstdFrame(spec: ZstdFrameSpec): Buffer {
  const single = spec.singleSegment === true;
  let sizeBytes: 0 | 1 | 2 | 4 | 8 = 0;
  if (spec.contentSize !== undefined) {
    sizeBytes =
      spec.contentSizeBytes ??
      (spec.contentSize < 256 && single
        ? 1
        : spec.contentSize < 65_536 + 256 && spec.contentSize >= 256
          ? 2
          : spec.contentSize < 2 ** 32
            ? 4
            : 8);
  } else if (single) {
    throw new Error("a single-segment frame needs a content size");
  }
  if (sizeBytes === 1 && !single)
    throw new Error("a 1-byte content size exists only in single-segment frames");
  const sizeFlag = { 0: 0, 1: 0, 2: 1, 4: 2, 8: 3 }[sizeBytes];
  const dictionaryBytes = spec.dictionaryId ? 4 : 0;
  const descriptor =
    (sizeFlag << 6) |
    (single ? 1 << 5 : 0) |
    (spec.reservedBit ? 1 << 3 : 0) |
    (spec.checksum ? 1 << 2 : 0) |
    (dictionaryBytes ? 3 : 0);
  const header = [0x28, 0xb5, 0x2f, 0xfd, descriptor];
  if (!single) header.push(spec.windowDescriptor ?? 0x38);
  const le = (value: number, bytes: number) => {
    for (let i = 0; i < bytes; i++) header.push(Math.floor(value / 2 ** (8 * i)) % 256);
  };
  if (dictionaryBytes) le(spec.dictionaryId as number, 4);
  if (sizeBytes) le((spec.contentSize as number) - (sizeBytes === 2 ? 256 : 0), sizeBytes);
  const parts: Buffer[] = [Buffer.from(header)];
  spec.blocks.forEach((block, i) => {
    const last = i === spec.blocks.length - 1 ? 1 : 0;
    const size = block.type === "raw" ? block.data.byteLength : block.size;
    const value = (size << 3) | (BLOCK_TYPES[block.type] << 1) | last;
    parts.push(Buffer.from([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff]));
    if (block.type === "raw") parts.push(Buffer.from(block.data));
    else if (block.type === "rle") parts.push(Buffer.from([block.byte]));
    else parts.push(Buffer.alloc(block.size, 0x5a));
  });
  if (spec.checksum) parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

/** A skippable frame (magic 0x184D2A5?): any payload, which a decoder must skip. */
export function zstdSkippableFrame(payload: Uint8Array, nibble = 0): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(0x184d2a50 + (nibble & 15), 0);
  header.writeUInt32LE(payload.byteLength, 4);
  return Buffer.concat([header, payload]);
}

/** `blocks` run-length blocks of 128 KiB each: a few bytes per block, 128 KiB of output each. */
export function zstdRleBomb(blocks: number, header: Omit<ZstdFrameSpec, "blocks"> = {}): Buffer {
  return zstdFrame({
    ...header,
    blocks: Array.from({ length: blocks }, () => ({ type: "rle" as const, byte: 0x61, size: 128 * 1024 })),
  });
}

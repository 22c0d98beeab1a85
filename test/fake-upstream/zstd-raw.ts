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

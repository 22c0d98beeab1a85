// zstd request bodies (Codex sends them when signed in with ChatGPT). The frame headers and block
// headers are walked before anything is decoded, so a body whose frames declare more content than
// the limit, a window larger than the gateway decodes, more run-length output than the limit, or
// more decoding work than a body of the limit needs is refused before a byte is allocated for it.
// Then Node's own zstd (Node ≥ 22.15, 23.8) decodes it off the event loop with an output cap; on
// older Node `fzstd` does (~50 MB/s), frame by frame: block by block through a window the scan has
// bounded, yielding to the event loop as it goes; only a single-segment frame larger than that window
// (its window is its whole content) is decoded in one go, straight into a buffer of its declared
// size. Format: RFC 8878.
import { promisify } from "node:util";
import zlib from "node:zlib";
import { Decompress, decompress } from "fzstd";
import { badRequest, GatewayError } from "../core/errors.ts";

/** The largest window (back-reference distance) a frame may declare; a single-segment frame's is its size. */
export const ZSTD_MAX_WINDOW_BYTES = 8 * 1024 * 1024;
/** Frames, skippable ones included, in one body. */
export const ZSTD_MAX_FRAMES = 1024;

const MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const MAX_BLOCK = 128 * 1024;
/** The bookkeeping of one block, counted like this many bytes of window work. */
const BLOCK_OVERHEAD = 16 * 1024;
/** Blocks (up to 128 KiB each) or window work between two yields to the event loop (~10 ms). */
const YIELD_BLOCKS = 4;
const YIELD_WORK = 32 * 1024 * 1024;

interface Frame {
  start: number;
  end: number;
  skippable: boolean;
  /** Decoded block by block with yields; otherwise in one go into a buffer of its declared size. */
  streamed: boolean;
  window: number;
}

const corrupt = (what: string) =>
  badRequest(`request body could not be decoded as zstd: ${what}`, null, "invalid_request");
const truncated = () => corrupt("the stream is truncated");
const tooLarge = (message: string) => new GatewayError(413, "request_too_large", message);

// Node ≥ 22.15 / 23.8; absent on Node 20 (the local host's minimum).
const nativeDecompress = (zlib as { zstdDecompress?: typeof zlib.gunzip }).zstdDecompress;
const native = nativeDecompress && promisify(nativeDecompress);

/** Decodes `raw` (one or more zstd and skippable frames) to at most `max` bytes, or throws a 400/413. */
export async function decodeZstd(raw: Uint8Array, max: number): Promise<Uint8Array<ArrayBuffer>> {
  const frames = scanFrames(raw, max);
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const frame of frames) {
    if (frame.skippable) continue;
    const bytes = raw.subarray(frame.start, frame.end);
    let part: Uint8Array;
    if (native) {
      // Frame by frame: Node's decoder stops after the first frame of a body and drops the rest.
      try {
        part = (await native(bytes, { maxOutputLength: Math.max(1, max - size) })) as Uint8Array;
      } catch (error) {
        if (error instanceof RangeError)
          throw tooLarge(`request body is larger than ${max} bytes when decoded`);
        throw corrupt((error as Error).message);
      }
      size += part.byteLength;
      parts.push(part);
      continue;
    }
    try {
      // In one go, fzstd decodes straight into a buffer of the declared size (its window).
      part = frame.streamed ? await decodeStreamed(bytes, frame, max - size) : decompress(bytes);
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      throw corrupt("the data is corrupt");
    }
    size += part.byteLength;
    parts.push(part);
    await turn();
  }
  return parts.length === 1 ? (parts[0] as Uint8Array<ArrayBuffer>) : Buffer.concat(parts);
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * One frame pushed one block at a time, so that the output is capped as it grows and the event loop
 * gets a turn every few milliseconds (fzstd moves its whole window once per block).
 */
async function decodeStreamed(bytes: Uint8Array, frame: Frame, room: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const stream = new Decompress((chunk) => {
    if (chunk.byteLength === 0) return;
    size += chunk.byteLength;
    if (size > room) throw tooLarge("request body is larger than the limit when decoded");
    chunks.push(chunk);
  });
  let work = 0;
  let blocks = 0;
  let at = headerLength(bytes, 0);
  stream.push(bytes.subarray(0, at));
  for (;;) {
    const header = byte(bytes, at) | (byte(bytes, at + 1) << 8) | (byte(bytes, at + 2) << 16);
    const next = at + 3 + (((header >> 1) & 3) === 1 ? 1 : header >>> 3);
    const last = (header & 1) === 1;
    const end = last ? bytes.byteLength : next;
    stream.push(bytes.subarray(at, end), last);
    if (last) break;
    at = next;
    work += frame.window + BLOCK_OVERHEAD;
    if (++blocks === YIELD_BLOCKS || work >= YIELD_WORK) {
      work = 0;
      blocks = 0;
      await turn();
    }
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks);
}

/** Frame header length (magic, descriptor, window, dictionary id, content size). */
function headerLength(bytes: Uint8Array, at: number): number {
  const descriptor = byte(bytes, at + 4);
  const single = (descriptor >> 5) & 1;
  return 5 + (single ? 0 : 1) + dictionaryIdBytes(descriptor) + contentSizeBytes(descriptor);
}

/** Byte lengths of the dictionary id and of the content size, from the frame header descriptor. */
const dictionaryIdBytes = (descriptor: number) => [0, 1, 2, 4][descriptor & 3] ?? 0;
const contentSizeBytes = (descriptor: number) => {
  const flag = descriptor >> 6;
  return flag === 0 ? (descriptor >> 5) & 1 : 1 << flag;
};

/** The byte at `at` (0 past the end; the scan checks lengths before it reads). */
const byte = (bytes: Uint8Array, at: number): number => bytes[at] ?? 0;

function readLE(bytes: Uint8Array, at: number, length: number): number {
  let value = 0;
  for (let i = length - 1; i >= 0; i--) value = value * 256 + byte(bytes, at + i);
  return value;
}

/**
 * Walks every frame and block header and refuses, before decoding: anything that is not zstd,
 * dictionaries, reserved bits and block types, blocks larger than their frame allows, truncation,
 * trailing bytes, a declared content size or run-length output beyond `max`, a window beyond
 * ZSTD_MAX_WINDOW_BYTES (single-segment frames: their size, within `max`), and more block-by-block work
 * than a body of `max` bytes in full-size blocks needs.
 */
function scanFrames(raw: Uint8Array, max: number): Frame[] {
  const frames: Frame[] = [];
  const length = raw.byteLength;
  let total = 0;
  let work = 0;
  const workLimit = (Math.ceil(max / MAX_BLOCK) + 2) * (ZSTD_MAX_WINDOW_BYTES + BLOCK_OVERHEAD);
  if (length === 0) throw corrupt("the body is empty");
  for (let at = 0; at < length; ) {
    if (frames.length === ZSTD_MAX_FRAMES) {
      throw corrupt(`more than ${ZSTD_MAX_FRAMES} frames; compress the body as one frame`);
    }
    if (length - at < 4)
      throw corrupt(frames.length ? "trailing bytes after the last frame" : "not a zstd stream");
    const magic = readLE(raw, at, 4);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (length - at < 8) throw truncated();
      const end = at + 8 + readLE(raw, at + 4, 4);
      if (end > length) throw truncated();
      frames.push({ start: at, end, skippable: true, streamed: false, window: 0 });
      at = end;
      continue;
    }
    if (magic !== MAGIC)
      throw corrupt(frames.length ? "trailing bytes after the last frame" : "not a zstd stream");
    if (length - at < 6) throw truncated();
    const descriptor = byte(raw, at + 4);
    if (descriptor & 0x08) throw corrupt("a reserved bit is set");
    const single = (descriptor >> 5) & 1;
    const checksum = (descriptor >> 2) & 1;
    let p = at + 5;
    let window = 0;
    if (!single) {
      const exponent = byte(raw, p) >> 3;
      const base = 2 ** (10 + exponent);
      window = base + (base / 8) * (byte(raw, p) & 7);
      p++;
    }
    const dictionaryBytes = dictionaryIdBytes(descriptor);
    const sizeBytes = contentSizeBytes(descriptor);
    if (p + dictionaryBytes + sizeBytes > length) throw truncated();
    if (readLE(raw, p, dictionaryBytes) !== 0) {
      throw corrupt("it needs a dictionary; send it compressed without one");
    }
    p += dictionaryBytes;
    let contentSize: number | undefined;
    if (sizeBytes) contentSize = readLE(raw, p, sizeBytes) + (sizeBytes === 2 ? 256 : 0);
    p += sizeBytes;
    if (single) window = contentSize as number;
    if (contentSize !== undefined && total + contentSize > max) {
      throw tooLarge(`request body is larger than ${max} bytes when decoded (its zstd frame says so)`);
    }
    if (!single && window > ZSTD_MAX_WINDOW_BYTES) {
      throw tooLarge(
        `the zstd frame needs a ${window}-byte window; the gateway decodes windows up to ${ZSTD_MAX_WINDOW_BYTES} bytes (compress with a level up to 19 and without long-distance matching)`,
      );
    }
    const blockMax = Math.min(window, MAX_BLOCK);
    let known = 0;
    let blocks = 0;
    for (let last = false; !last; ) {
      if (p + 3 > length) throw truncated();
      const header = byte(raw, p) | (byte(raw, p + 1) << 8) | (byte(raw, p + 2) << 16);
      last = (header & 1) === 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3) throw corrupt("a block has the reserved type");
      if (size > blockMax) throw corrupt("a block is larger than its frame allows");
      p += 3 + (type === 1 ? 1 : size);
      if (p > length) throw truncated();
      if (type !== 2) known += size;
      blocks++;
    }
    if (checksum) p += 4;
    if (p > length) throw truncated();
    if (contentSize !== undefined && known > contentSize) {
      throw corrupt("the frame holds more than the content size it declares");
    }
    total += contentSize ?? known;
    if (total > max) throw tooLarge(`request body is larger than ${max} bytes when decoded`);
    // Block by block (yielding) when the window is small and the work fits; a frame with a content
    // size can go in one go instead, one without cannot.
    const frameWork = window + blocks * (window + BLOCK_OVERHEAD);
    const streamed = !contentSize || (window <= ZSTD_MAX_WINDOW_BYTES && work + frameWork <= workLimit);
    if (streamed) {
      work += frameWork;
      if (work > workLimit) {
        throw tooLarge(
          "the zstd body has too many blocks for its window to decode within the limits; compress it in one pass (full 128 KiB blocks) or include the content size",
        );
      }
    }
    frames.push({ start: at, end: p, skippable: false, streamed, window });
    at = p;
  }
  return frames;
}

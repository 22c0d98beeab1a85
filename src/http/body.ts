// Request bodies: bounded reads and decoding of gzip, deflate, br and zstd (Codex sends zstd when
// signed in with ChatGPT), with output limits so a small bomb cannot expand without bound. zlib
// decodes off the event loop and stops at the output limit; zstd is checked frame by frame before
// it is decoded (zstd.ts).
import { promisify } from "node:util";
import zlib from "node:zlib";
import { badRequest, GatewayError } from "../core/errors.ts";
import { readAll } from "../core/support/bounded-read.ts";
import { decodeZstd } from "./zstd.ts";

export interface BodyLimits {
  maxCompressedBodyBytes: number;
  maxBodyBytes: number;
}

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);
const brotli = promisify(zlib.brotliDecompress);

const tooLarge = (limit: number) =>
  new GatewayError(413, "request_too_large", `request body is larger than ${limit} bytes`);

/** A web Request, or the local host's Node request or its bytes (see src/server/node-request-io.ts). */
export interface BodySource {
  headers: Headers;
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Uint8Array | null;
}

export async function readBody(request: BodySource, limits: BodyLimits): Promise<Uint8Array<ArrayBuffer>> {
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  const encoded = encoding !== "identity" && encoding !== "";
  const rawLimit = encoded ? limits.maxCompressedBodyBytes : limits.maxBodyBytes;
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > rawLimit) throw tooLarge(rawLimit);
  const raw = await readAll(request.body, rawLimit, () => tooLarge(rawLimit));
  if (!encoded) return raw;
  const max = limits.maxBodyBytes;
  try {
    switch (encoding) {
      case "gzip":
      case "x-gzip":
        return await gunzip(raw, { maxOutputLength: max });
      case "deflate":
        // Clients disagree on zlib-wrapped vs raw deflate; accept both.
        return await inflate(raw, { maxOutputLength: max }).catch((error: unknown) => {
          if (error instanceof RangeError) throw error;
          return inflateRaw(raw, { maxOutputLength: max });
        });
      case "br":
        return await brotli(raw, { maxOutputLength: max });
      case "zstd":
        return await decodeZstd(raw, max);
      default:
        throw new GatewayError(
          415,
          "unsupported_content_encoding",
          encoding.includes(",")
            ? "content-encoding must be one encoding (gzip, deflate, br or zstd), not a list; compress the body once"
            : "content-encoding must be gzip, deflate, br or zstd; or send the body uncompressed",
        );
    }
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    if (error instanceof RangeError || (error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw tooLarge(max);
    }
    throw badRequest(`request body could not be decoded as ${encoding}`);
  }
}

/** Parses a JSON object body; the message never echoes the body. */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw badRequest("request body must be valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badRequest("request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** Deeper than any real request; translators and JSON.stringify recurse, so deeper input is refused. */
export const MAX_JSON_DEPTH = 256;

/**
 * Throws a 400 when `value` nests arrays or objects deeper than `limit` (walked without recursion).
 * Two parallel stacks and `for…in`: no pair and no `Object.values` array per node (a 100 KB request
 * has a few hundred nodes; ~3 µs against ~17).
 */
export function assertJsonDepth(value: unknown, limit = MAX_JSON_DEPTH): void {
  if (typeof value !== "object" || value === null) return;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop() as Record<string, unknown> | unknown[];
    const depth = depths.pop() as number;
    if (depth > limit) throw badRequest(`request body is nested more than ${limit} levels deep`);
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child = node[i];
        if (typeof child === "object" && child !== null) {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in node) {
        const child = node[key];
        if (typeof child === "object" && child !== null) {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
}

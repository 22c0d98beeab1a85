// Bounded reads of a body: never hold more than a limit in memory, whatever the peer sends.

/** Reads at most `limit` bytes and drops the rest (for error bodies we only inspect). */
export async function readPrefix(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

/** Reads the whole stream, or throws `tooLarge()` as soon as it passes `limit` bytes. */
export async function readAll(
  // A web stream, or a Node stream (the local host reads request bodies straight from the socket).
  // …or the whole body, already read.
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Uint8Array | null,
  limit: number,
  tooLarge: () => Error,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!body) return new Uint8Array();
  if (body instanceof Uint8Array) {
    if (body.byteLength > limit) throw tooLarge();
    return body as Uint8Array<ArrayBuffer>;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early (too large) cancels a web stream and destroys a Node one.
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export const decodeText = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** The most the gateway reads of a JSON answer from the upstream or the auth server. */
export const UPSTREAM_JSON_LIMIT = 8 * 1024 * 1024;

/** An upstream's JSON answer, read with a cap: undefined when it is larger, cut short or not JSON. */
export async function readUpstreamJson(response: Response): Promise<unknown> {
  try {
    const bytes = await readAll(response.body, UPSTREAM_JSON_LIMIT, () => new RangeError("too large"));
    return JSON.parse(decodeText(bytes));
  } catch {
    return undefined;
  }
}

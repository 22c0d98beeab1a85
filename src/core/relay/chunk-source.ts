// Pull-driven byte streams on the relay path, in the shape both hosts can use without a web stream in
// between. The relay reads the upstream through a `ChunkReader` (a web stream reader is one; the local
// host's transport hands out a cheaper one over the socket) and produces a `ChunkSource` for the client,
// which a host writes out as it likes: the local host straight into the Node response, everyone else
// through the web `ReadableStream` the Response carries. Each web stream layer costs promises and
// objects per chunk and ~kilobytes per open stream, which showed on the hottest path of the gateway.

/** Where the relay reads bytes from. A `ReadableStreamDefaultReader<Uint8Array>` satisfies it. */
export interface ChunkReader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(reason?: unknown): Promise<void>;
}

/** What the relay produces: the next chunk on demand (so the client's pace sets the upstream's). */
export interface ChunkSource {
  /** The next chunk, or undefined once the body is complete. Never rejects. */
  pull(): Promise<Uint8Array | undefined>;
  /** The consumer went away: stop, and release what is upstream. */
  cancel(): Promise<void>;
}

/** A web stream over a source, pulled one chunk at a time (no read-ahead beyond what is asked). */
export function toReadableStream(source: ChunkSource): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const chunk = await source.pull();
        if (chunk) controller.enqueue(chunk);
        else controller.close();
      },
      cancel: () => source.cancel(),
    },
    { highWaterMark: 0 },
  );
}

/** A web stream over a reader, for a Response whose reader is also offered directly. */
export function readerStream(reader: ChunkReader): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

interface Offered<T> {
  direct: T;
  /** The Response's own body: the direct way is only taken while nobody has read this. */
  stream: ReadableStream<Uint8Array>;
}

const sources = new WeakMap<Response, Offered<ChunkSource>>();
const readers = new WeakMap<Response, Offered<ChunkReader>>();

/** A Response over `source` that a host may also write out directly (`takeChunkSource`). */
export function sourcedResponse(source: ChunkSource, init: ResponseInit): Response {
  const stream = toReadableStream(source);
  const response = new Response(stream, init);
  sources.set(response, { direct: source, stream });
  return response;
}

/** The source behind a relay's Response, once, if its body has not been read as a web stream. */
export function takeChunkSource(response: Response): ChunkSource | undefined {
  return take(sources, response);
}

/** Marks `reader` as a direct way to read a Response built over `readerStream(reader)`. */
export function offerChunkReader(
  response: Response,
  reader: ChunkReader,
  stream: ReadableStream<Uint8Array>,
) {
  readers.set(response, { direct: reader, stream });
}

/**
 * The cheapest reader of a Response's body: a relay's own source or the transport's own reader where
 * there is one, else the web stream's reader; none without a body.
 */
export function bodyReader(response: Response): ChunkReader | undefined {
  const source = take(sources, response);
  if (source) return sourceReader(source);
  return take(readers, response) ?? response.body?.getReader();
}

function sourceReader(source: ChunkSource): ChunkReader {
  return {
    async read() {
      const value = await source.pull();
      return value ? { done: false, value } : { done: true, value: undefined };
    },
    cancel: () => source.cancel(),
  };
}

function take<T>(offers: WeakMap<Response, Offered<T>>, response: Response): T | undefined {
  const offered = offers.get(response);
  if (!offered) return undefined;
  offers.delete(response);
  // Lock the web body so the bytes cannot be read twice, by two different ways.
  if (offered.stream.locked) return undefined;
  offered.stream.getReader();
  return offered.direct;
}

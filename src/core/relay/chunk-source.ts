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
  /**
   * The consumer went away: stop, and release what is upstream. `reason` may be a `RelayStop`
   * (sse-relay.ts): the consumer ended it for a reason of the gateway's, not because the client left.
   */
  cancel(reason?: unknown): Promise<void>;
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
      cancel: (reason) => source.cancel(reason),
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

const OPEN = Symbol("open");
const STREAM = Symbol("stream");
const CLAIMED = Symbol("claimed");

/**
 * A Response whose web body stream is built only if someone asks for it. On the relay path a host
 * usually takes the bytes the direct way (`takeChunkSource`, `bodyReader`), so building a
 * `ReadableStream` for every Response (twice per relay: the upstream's and the client's) was
 * wasted: ~10 µs and a few objects each, before the first byte. Everything that reads a body
 * (`body`, `text()`, `json()`, `arrayBuffer()`, `blob()`, `bytes()`, `formData()`, `clone()`) opens
 * it.
 */
class LazyBodyResponse extends Response {
  [OPEN]: () => ReadableStream<Uint8Array>;
  [STREAM]: ReadableStream<Uint8Array> | undefined = undefined;
  /** The bytes went the direct way: the web body, if opened later, is locked. */
  [CLAIMED] = false;

  constructor(open: () => ReadableStream<Uint8Array>, init: ResponseInit) {
    super(null, init);
    this[OPEN] = open;
  }

  /** Takes the direct way if nobody has read the web body; it cannot be read afterwards. */
  claim(): boolean {
    const stream = this[STREAM];
    if (stream === undefined) {
      this[CLAIMED] = true;
      return true;
    }
    if (this[CLAIMED] || stream.locked) return false;
    stream.getReader();
    this[CLAIMED] = true;
    return true;
  }

  #whole(): Response {
    return new Response(this.body, { headers: this.headers });
  }
  override async arrayBuffer() {
    return this.#whole().arrayBuffer();
  }
  override async blob() {
    return this.#whole().blob();
  }
  override async bytes() {
    return this.#whole().bytes();
  }
  override async formData() {
    return this.#whole().formData();
  }
  override async json() {
    return this.#whole().json();
  }
  override async text() {
    return this.#whole().text();
  }
  override clone(): Response {
    const [mine, theirs] = (this.body as ReadableStream<Uint8Array>).tee();
    this[STREAM] = mine;
    const { status, statusText } = this;
    return new Response(theirs, { status, statusText, headers: new Headers(this.headers) });
  }
}

// Accessors over what Response declares as properties (TypeScript allows that only this way).
Object.defineProperties(LazyBodyResponse.prototype, {
  body: {
    get(this: LazyBodyResponse) {
      let stream = this[STREAM];
      if (stream === undefined) {
        stream = this[OPEN]();
        if (this[CLAIMED]) stream.getReader();
        this[STREAM] = stream;
      }
      return stream;
    },
    configurable: true,
  },
  bodyUsed: {
    get(this: LazyBodyResponse) {
      return this[CLAIMED] || (this[STREAM]?.locked ?? false);
    },
    configurable: true,
  },
});

const sources = new WeakMap<Response, ChunkSource>();
const readers = new WeakMap<Response, ChunkReader>();

/** A Response over `source` that a host may also write out directly (`takeChunkSource`). */
export function sourcedResponse(source: ChunkSource, init: ResponseInit): Response {
  const response = new LazyBodyResponse(() => toReadableStream(source), init);
  sources.set(response, source);
  return response;
}

/** The source behind a relay's Response, once, if its body has not been read as a web stream. */
export function takeChunkSource(response: Response): ChunkSource | undefined {
  return take(sources, response);
}

/** A Response over `reader` (a transport's own), which `bodyReader` hands out directly. */
export function readerResponse(reader: ChunkReader, init: ResponseInit): Response {
  const response = new LazyBodyResponse(() => readerStream(reader), init);
  readers.set(response, reader);
  return response;
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
    cancel: (reason) => source.cancel(reason),
  };
}

/**
 * `response` with `done` called once when its body has been sent whole or abandoned (the consumer
 * cancelled it), whichever way a host takes it; at once for a Response without a streamed body (an
 * answer already in memory). Admission holds a stream's slot this way for the stream's life.
 */
export function onBodyDone(response: Response, done: () => void): Response {
  // Unread so far (the usual case): the same Response, its offer swapped for one that reports the
  // end. A new Response would copy every header (undici sorts them to iterate) on each relay.
  if (response instanceof LazyBodyResponse && response[STREAM] === undefined && !response[CLAIMED]) {
    const source = sources.get(response);
    const reader = source ? undefined : readers.get(response);
    if (source || reader) {
      readers.delete(response);
      const watched = watchedSource(source ?? sourceOfReader(reader as ChunkReader), done);
      sources.set(response, watched);
      response[OPEN] = () => toReadableStream(watched);
      return response;
    }
  }
  const source = take(sources, response);
  const reader = source ? undefined : take(readers, response);
  if (!source && !reader) {
    done();
    return response;
  }
  const { status, statusText, headers } = response;
  return sourcedResponse(watchedSource(source ?? sourceOfReader(reader as ChunkReader), done), {
    status,
    statusText,
    headers,
  });
}

/** `inner`, with `done` called once when it ends or is cancelled. */
function watchedSource(inner: ChunkSource, done: () => void): ChunkSource {
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    done();
  };
  return {
    async pull() {
      try {
        const chunk = await inner.pull();
        if (chunk === undefined) finish();
        return chunk;
      } catch (error) {
        finish();
        throw error;
      }
    },
    async cancel(reason) {
      finish();
      await inner.cancel(reason);
    },
  };
}

function sourceOfReader(reader: ChunkReader): ChunkSource {
  return {
    async pull() {
      const { done, value } = await reader.read();
      return done ? undefined : value;
    },
    cancel: (reason) => reader.cancel(reason),
  };
}

function take<T>(offers: WeakMap<Response, T>, response: Response): T | undefined {
  const direct = offers.get(response);
  if (direct === undefined) return undefined;
  offers.delete(response);
  return response instanceof LazyBodyResponse && response.claim() ? direct : undefined;
}

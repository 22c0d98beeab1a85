// The Lambda Node.js runtime's streaming globals (`awslambda.streamifyResponse`,
// `awslambda.HttpResponseStream`), with local stand-ins when they are missing so handlers run under
// vitest unchanged (the Powertools event-handler does the same).
import type { Writable } from "node:stream";

/** The writable the runtime hands a streaming handler. */
export type ResponseStream = Writable & { setContentType?(contentType: string): void };

/** Status line and headers of a function URL streaming response (the "prelude"). */
export interface HttpPrelude {
  statusCode: number;
  headers?: Record<string, string>;
  cookies?: string[];
}

/** The parts of the Lambda context object the gateway uses. */
export interface LambdaContext {
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

export type StreamingHandler<E> = (event: E, stream: ResponseStream, context: LambdaContext) => Promise<void>;

interface AwsLambdaGlobal {
  streamifyResponse<E>(handler: StreamingHandler<E>): StreamingHandler<E>;
  HttpResponseStream: { from(stream: Writable, prelude: HttpPrelude): ResponseStream };
}

const PRELUDE_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response";

/** Same wire format as the runtime: JSON prelude, eight NUL bytes, then the body. */
const localHttpResponseStream: AwsLambdaGlobal["HttpResponseStream"] = {
  from(stream, prelude) {
    const out = stream as ResponseStream;
    out.setContentType?.(PRELUDE_CONTENT_TYPE);
    out.write(JSON.stringify(prelude));
    out.write(new Uint8Array(8));
    return out;
  },
};

// Other libraries put things on `awslambda` too (Powertools' invoke store), so test each member.
function runtimeGlobal(): Partial<AwsLambdaGlobal> | undefined {
  return (globalThis as { awslambda?: Partial<AwsLambdaGlobal> }).awslambda;
}

/** Marks a handler as streaming; must run at module load so the runtime sees the marker. */
export function streamifyResponse<E>(handler: StreamingHandler<E>): StreamingHandler<E> {
  const streamify = runtimeGlobal()?.streamifyResponse;
  return streamify ? streamify(handler) : handler;
}

export function httpResponseStream(stream: Writable, prelude: HttpPrelude): ResponseStream {
  return (runtimeGlobal()?.HttpResponseStream ?? localHttpResponseStream).from(stream, prelude);
}

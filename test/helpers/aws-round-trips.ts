// Counts the AWS round trips a runtime Lambda instance makes before it calls the upstream, without
// timing anything: every DynamoDB and Secrets Manager call of one instance is held until the test
// releases it, and calls are released in rounds, only when the instance can make no progress without
// them. The number of rounds before the upstream request is the number of sequential round trips the
// request waits for (calls that run in parallel share a round; calls nobody waits for never hold the
// request up, so they are released with the next round or after the upstream call).
import { setImmediate as nextMacrotask } from "node:timers/promises";
import { streamHandler } from "../../src/adapters/lambda/stream-handler.ts";
import { publicFetch, publicStreamOptions } from "../../src/server/aws-apps.ts";
import { type AwsHost, awsConfigFromEnv, createAwsHost } from "../../src/server/aws-host.ts";
import { wrapAwsCalls } from "./aws-calls.ts";
import { type EventInput, functionUrlEvent, lambdaContext, MockResponseStream } from "./lambda.ts";

export interface TurnCalls {
  /** Sequential rounds of AWS calls before the upstream request. */
  rounds: number;
  /** AWS calls made before the upstream request, by action (`dynamodb:GetItem`, `secrets:GetSecretValue`). */
  before: string[];
  /** AWS calls made after it, until the invocation returned (writes, background re-reads). */
  after: string[];
  /** Every AWS call made before the client's first body byte (the ones before the upstream request too). */
  beforeFirstByte: string[];
  /** Every write (`PutItem`, `UpdateItem`, `BatchWriteItem`, `DeleteItem`) of the invocation, in order. */
  writes: string[];
  out: MockResponseStream;
}

/** One Lambda execution environment: its own host (clients, caches), a clock the test moves. */
export interface GatedInstance {
  host: AwsHost;
  /** Milliseconds added to the real time (expires the short caches without waiting). */
  advance(ms: number): void;
  /** Invokes the runtime handler once, counting the AWS calls around the upstream request. */
  turn(input: EventInput): Promise<TurnCalls>;
}

export function gatedRuntimeInstance(): GatedInstance {
  let offset = 0;
  let holding = false;
  let upstreamCalled = false;
  let before: string[] = [];
  let after: string[] = [];
  let beforeFirstByte: string[] = [];
  let firstByte = false;
  const held: (() => void)[] = [];
  const running = new Set<Promise<unknown>>();

  const gate = async <T>(action: string, run: () => Promise<T>): Promise<T> => {
    (upstreamCalled ? after : before).push(action);
    if (!firstByte) beforeFirstByte.push(action);
    if (holding) await new Promise<void>((resolve) => held.push(resolve));
    const call = run();
    running.add(call);
    try {
      return await call;
    } finally {
      running.delete(call);
    }
  };

  const host = createAwsHost(awsConfigFromEnv(), {
    clock: { now: () => Date.now() + offset },
    fetch: ((input: RequestInfo | URL, init?: RequestInit) => {
      upstreamCalled = true;
      return fetch(input, init);
    }) as typeof fetch,
  });
  wrapAwsCalls(host, gate);
  const handler = streamHandler(publicStreamOptions(host, publicFetch(host)));

  /** Waits until every released call has finished and the instance has acted on the answers. */
  const settle = async () => {
    do {
      await Promise.allSettled([...running]);
      for (let i = 0; i < 20; i++) await nextMacrotask();
    } while (running.size > 0);
  };

  return {
    host,
    advance(ms) {
      offset += ms;
    },
    async turn(input) {
      before = [];
      after = [];
      beforeFirstByte = [];
      firstByte = false;
      upstreamCalled = false;
      holding = true;
      let done = false;
      const out = new MockResponseStream();
      // The first body byte: the first chunk after the prelude (its JSON and eight NUL bytes).
      const onChunk = () => {
        if (out.body().length === 0) return;
        firstByte = true;
        out.off("chunk", onChunk);
      };
      out.on("chunk", onChunk);
      const invocation = (async () => {
        await (handler as (e: unknown, s: MockResponseStream, c: unknown) => Promise<void>)(
          functionUrlEvent(input),
          out,
          lambdaContext(),
        );
        return out;
      })().finally(() => {
        done = true;
      });
      let rounds = 0;
      let idle = 0;
      for (;;) {
        await settle();
        if (upstreamCalled || done) break;
        if (held.length === 0) {
          // Waiting on something else (a timer, local I/O): give it time, then complain.
          if (++idle > 50) throw new Error("the instance is stuck without an AWS call to wait for");
          await new Promise((resolve) => setTimeout(resolve, 10));
          continue;
        }
        idle = 0;
        rounds++;
        for (const release of held.splice(0)) release();
      }
      holding = false;
      for (const release of held.splice(0)) release();
      await invocation;
      const writes = [...before, ...after].filter((c) => /:(Put|Update|BatchWrite|Delete)Item$/.test(c));
      return { rounds, before, after, beforeFirstByte, writes, out };
    },
  };
}

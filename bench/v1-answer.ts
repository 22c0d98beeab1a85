// In-process: the realistic 200-event answer through the relay and a /v1 translator, CPU per stream
// (min and median of several runs). `npx tsx bench/v1-answer.ts [streams] [runs]`.
import { chatChunkTranslator } from "../src/core/openai/chat-stream.ts";
import { publicResponsesTranslator } from "../src/core/openai/responses-stream.ts";
import { type EventTranslator, translated } from "../src/core/openai/sse-events.ts";
import type { ChunkReader, ChunkSource } from "../src/core/relay/chunk-source.ts";
import { relaySseEvents } from "../src/core/relay/sse-relay.ts";
import { formatSse } from "../test/fake-upstream/sse.ts";
import { realisticEvents } from "./workloads.ts";

const chunks = realisticEvents().map((event) => new TextEncoder().encode(formatSse(event)));
const STREAMS = Number(process.argv[2] ?? 1000);
const RUNS = Number(process.argv[3] ?? 7);

function upstream(): ChunkReader {
  let i = 0;
  return {
    read: async () =>
      i < chunks.length
        ? { done: false, value: chunks[i++] as Uint8Array }
        : { done: true, value: undefined },
    cancel: async () => undefined,
  };
}

function relayOptions() {
  return { now: () => Date.now(), keepAliveMs: 0, abortUpstream: () => undefined, onDone: () => undefined };
}

/** The /v1 path: the relay's parsed events, translated. */
function viaEvents(translator: EventTranslator): ChunkSource {
  return translated(relaySseEvents(upstream(), relayOptions()), translator);
}

async function drain(source: ChunkSource): Promise<number> {
  let bytes = 0;
  for (let c = await source.pull(); c; c = await source.pull()) bytes += c.byteLength;
  return bytes;
}

const translators: Record<string, () => EventTranslator> = {
  chat: () => chatChunkTranslator({ model: "gpt-5.5", includeUsage: true, now: Date.now }),
  responses: () => publicResponsesTranslator(),
};
const paths: Record<string, (t: EventTranslator) => ChunkSource> = { events: viaEvents };

for (const [name, make] of Object.entries(translators)) {
  for (const [pathName, path] of Object.entries(paths)) {
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const start = process.cpuUsage();
      for (let s = 0; s < STREAMS; s++) await drain(path(make()));
      const used = process.cpuUsage(start);
      times.push((used.user + used.system) / STREAMS);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)] as number;
    console.log(
      `${name} via ${pathName}: min ${times[0]?.toFixed(0)} µs, median ${median.toFixed(0)} µs per stream`,
    );
  }
}

// In-process: the realistic 200-event answer through the relay and a /v1 translator, CPU per stream
// (min and median of several runs). `npx tsx bench/v1-answer.ts [streams] [runs] [codex|chat|responses]
// [events per read]`: each upstream read brings one event by default; under load several arrive together.
import { chatChunkTranslator } from "../src/core/openai/chat-stream.ts";
import { publicResponsesTranslator } from "../src/core/openai/responses-stream.ts";
import { type EventTranslator, translated } from "../src/core/openai/sse-events.ts";
import type { ChunkReader, ChunkSource } from "../src/core/relay/chunk-source.ts";
import { relaySse, relaySseEvents } from "../src/core/relay/sse-relay.ts";
import { formatSse } from "../test/fake-upstream/sse.ts";
import { realisticEvents } from "./workloads.ts";

const STREAMS = Number(process.argv[2] ?? 1000);
const RUNS = Number(process.argv[3] ?? 7);
const ONLY = process.argv[4] || undefined;
const PER_READ = Number(process.argv[5] ?? 1);
const texts = realisticEvents().map(formatSse);
const chunks = Array.from({ length: Math.ceil(texts.length / PER_READ) }, (_, i) =>
  new TextEncoder().encode(texts.slice(i * PER_READ, (i + 1) * PER_READ).join("")),
);

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

/** CPU per stream of `run`, min and median over RUNS runs of STREAMS streams. */
async function measure(label: string, run: () => Promise<unknown>) {
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = process.cpuUsage();
    for (let s = 0; s < STREAMS; s++) await run();
    const used = process.cpuUsage(start);
    times.push((used.user + used.system) / STREAMS);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  console.log(`${label}: min ${times[0]?.toFixed(0)} µs, median ${median.toFixed(0)} µs per stream`);
}

// The Codex route's own path for reference: the bytes relayed as they came (accounting parses only
// the first and the terminal event).
if (!ONLY || ONLY === "codex")
  await measure("codex relay (bytes)", () => drain(relaySse(upstream(), relayOptions())));

for (const [name, make] of Object.entries(translators)) {
  if (ONLY && name !== ONLY) continue;
  for (const [pathName, path] of Object.entries(paths)) {
    await measure(`${name} via ${pathName}`, () => drain(path(make())));
  }
}

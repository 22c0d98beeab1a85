// In-process: the realistic ~100 KB request through what each route does to it before the upstream
// is called, CPU per request (min and median of several runs). The Codex route parses the body (and
// relays its bytes); the chat route parses, checks the depth, translates and serialises the result.
// `npx tsx bench/v1-request.ts [requests] [runs]`.
import { chatToCodex } from "../src/core/openai/chat-request.ts";
import { upstreamBytes } from "../src/core/openai/turn.ts";
import { assertJsonDepth, parseJsonObject } from "../src/http/body.ts";
import { REALISTIC_CHAT_BODY, REALISTIC_CODEX_BODY } from "./workloads.ts";

const REQUESTS = Number(process.argv[2] ?? 300);
const RUNS = Number(process.argv[3] ?? 7);
const chatBytes = new TextEncoder().encode(JSON.stringify(REALISTIC_CHAT_BODY));
const codexBytes = new TextEncoder().encode(JSON.stringify(REALISTIC_CODEX_BODY));

const stages: Record<string, () => unknown> = {
  "codex: parse": () => parseJsonObject(codexBytes),
  "chat: parse": () => parseJsonObject(chatBytes),
  "chat: parse + depth": () => assertJsonDepth(parseJsonObject(chatBytes)),
  "chat: parse + depth + translate": () => {
    const json = parseJsonObject(chatBytes);
    assertJsonDepth(json);
    return chatToCodex(json);
  },
  "chat: whole (to upstream bytes)": () => {
    const json = parseJsonObject(chatBytes);
    assertJsonDepth(json);
    const plan = chatToCodex(json);
    return upstreamBytes(plan.upstream);
  },
};

let sink = 0;
const results: Record<string, number[]> = Object.fromEntries(Object.keys(stages).map((n) => [n, []]));
for (let run = 0; run < RUNS; run++) {
  // Interleaved: every stage once per run, so load on the machine falls on all of them alike.
  for (const [name, stage] of Object.entries(stages)) {
    const start = process.cpuUsage();
    for (let i = 0; i < REQUESTS; i++) sink += stage() ? 1 : 0;
    const used = process.cpuUsage(start);
    results[name]?.push((used.user + used.system) / REQUESTS);
  }
}
for (const [name, times] of Object.entries(results)) {
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  console.log(`${name}: min ${times[0]?.toFixed(1)} µs, median ${median.toFixed(1)} µs per request`);
}
if (sink < 0) console.log(sink);

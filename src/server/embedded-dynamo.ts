// The embedded DynamoDB-compatible server for the local host: dynalite on a free loopback port,
// persisting under the data directory. The data layer talks to it with the real AWS SDK. It runs on
// its own worker thread, so the emulator's CPU work (validation, LevelDB) stays off the event loop
// that serves requests; the gateway reaches it over loopback HTTP exactly as before.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

export interface EmbeddedDynamo {
  endpoint: string;
  close(): Promise<void>;
}

// Plain CommonJS evaluated in the worker: no loader or transpiler is needed there.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const dynalite = require(workerData.dynalite);
const server = dynalite({ path: workerData.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.once("error", (error) => parentPort.postMessage({ error: String(error) }));
server.listen(0, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
parentPort.on("message", (message) => {
  if (message === "close") server.close(() => parentPort.postMessage({ closed: true }));
});
`;

/** The store worker's young generation, MB (V8 makes each semi-space a third of it: 2 MB). */
const STORE_YOUNG_GENERATION_MB = 6;

export async function startEmbeddedDynamo(path?: string): Promise<EmbeddedDynamo> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, dynalite: createRequire(import.meta.url).resolve("dynalite") },
    // The parent's loader flags (tsx) are not needed for plain JavaScript.
    execArgv: [],
    // A small young generation: under load V8 grew the worker's new space to 16 MB and kept it, over
    // half of the worker's resident heap. The emulator's garbage is short-lived, so scavenging a
    // smaller space more often cost no measurable CPU per store call.
    resourceLimits: { maxYoungGenerationSizeMb: STORE_YOUNG_GENERATION_MB },
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`embedded store exited (${code}) before listening`)));
    worker.once("message", (message: { port?: number; error?: string }) => {
      if (message.port) resolve(message.port);
      else reject(new Error(`embedded store failed to start: ${message.error}`));
    });
  });
  // After the start, a crash surfaces as store errors (requests fail closed), not as a process crash.
  worker.on("error", () => undefined);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => {
        worker.on("message", (message: { closed?: boolean }) => {
          if (message.closed) resolve();
        });
        worker.once("exit", () => resolve());
      });
      worker.postMessage("close");
      // LevelDB is closed with the server; a stuck close must not hold shutdown.
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      await worker.terminate();
    },
  };
}

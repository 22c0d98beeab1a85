// The fake upstream in its own process, so it does not share an event loop with the load generator
// or the gateway; the bench drives it over IPC (create accounts, set behaviours, release pauses).
import { type Behavior, startFakeUpstream } from "../test/fake-upstream/index.ts";

type Command =
  | { id: number; op: "createAccount" }
  | { id: number; op: "setDefaultBehavior"; accountId: string; behavior: Behavior }
  | { id: number; op: "releasePaused" }
  | { id: number; op: "close" };

const fake = await startFakeUpstream();
// The fake records every request for tests; a bench sends tens of thousands, so forget them.
const forget = setInterval(() => {
  fake.requests.length = 0;
}, 1000);

// The bench that started this is gone (killed without a chance to close it): so is this.
process.once("disconnect", () => process.exit(0));

process.on("message", async (message: Command) => {
  let result: unknown;
  switch (message.op) {
    case "createAccount":
      result = fake.createAccount();
      break;
    case "setDefaultBehavior":
      fake.setDefaultBehavior(message.accountId, message.behavior);
      break;
    case "releasePaused":
      fake.releasePaused();
      break;
    case "close":
      clearInterval(forget);
      await fake.close();
      process.send?.({ id: message.id, result: null }, () => process.exit(0));
      return;
  }
  process.send?.({ id: message.id, result });
});

process.send?.({ id: 0, result: { url: fake.url, upstreamBaseUrl: fake.upstreamBaseUrl } });

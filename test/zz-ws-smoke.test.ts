import { afterAll, beforeAll, expect, it } from "vitest";
import { isConnected, SmallFrameClient, startAwsWebSocketStack, type AwsWebSocketStack } from "./helpers/aws-websocket.ts";

let stack: AwsWebSocketStack;
beforeAll(async () => { stack = await startAwsWebSocketStack(); });
afterAll(async () => { await stack?.stop(); });

it("smoke", async () => {
  const seeded = await stack.seed();
  const client = await SmallFrameClient.connect(stack.emulator.url, { authorization: `Bearer ${seeded.key}` });
  if (!isConnected(client)) throw new Error(`status ${JSON.stringify(client)}`);
  const warm = await client.turn({ model: "gpt-5.5", generate: false, input: [] });
  console.log(JSON.stringify(warm).slice(0, 500));
  const turn = await client.turn({ model: "gpt-5.5", input: "Say hi" });
  console.log(turn.map((m) => m.type).join(","));
  await client.close();
  await stack.emulator.settled();
  console.log(JSON.stringify([...stack.recorder.calls].map(([k, v]) => [k, [...v]])));
  expect(turn.at(-1)?.type).toBe("response.completed");
});

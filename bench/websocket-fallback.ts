// How long the real Codex CLI (supports_websockets = true) takes to reach the HTTPS route when the
// AWS WebSocket path answers its upgrade in different ways, measured against the API Gateway
// emulator and the runtime function (test/helpers/aws-websocket.ts): the numbers in
// docs/adr/0001-websocket-on-aws.md. Run: npx tsx bench/websocket-fallback.ts [runs per mode]
import type { RouteHandler } from "../test/helpers/api-gateway-websocket.ts";
import { startAwsWebSocketStack } from "../test/helpers/aws-websocket.ts";
import { codexHome, runCodex } from "../test/helpers/codex-cli.ts";

interface Mode {
  name: string;
  streamMaxRetries: number;
  connect?: (event: Parameters<RouteHandler>[0], deployed: RouteHandler) => ReturnType<RouteHandler>;
}

const hideIdentity: Mode["connect"] = (event, deployed) =>
  deployed({
    ...event,
    headers: Object.fromEntries(
      Object.entries(event.headers as Record<string, string>).filter(
        ([name]) => !/^(originator|user-agent)$/i.test(name),
      ),
    ),
  });

const MODES: Mode[] = [
  { name: "426 (as deployed), default retries", streamMaxRetries: 5 },
  {
    name: "404 at $connect, default retries",
    streamMaxRetries: 5,
    connect: async () => ({ statusCode: 404 }),
  },
  {
    name: "500 at $connect, default retries",
    streamMaxRetries: 5,
    connect: async () => ({ statusCode: 500 }),
  },
  { name: "accepted (no 426 rule), default retries", streamMaxRetries: 5, connect: hideIdentity },
  { name: "accepted (no 426 rule), stream_max_retries = 0", streamMaxRetries: 0, connect: hideIdentity },
];

const runs = Number(process.argv[2] ?? 3);
const stack = await startAwsWebSocketStack();
const rows: string[] = [];
try {
  for (const mode of MODES) {
    for (let run = 0; run < runs; run++) {
      const seeded = await stack.seed();
      const { connect } = mode;
      stack.routes.handler = connect
        ? async (event) =>
            event.requestContext.routeKey === "$connect"
              ? connect(event, stack.routes.deployed)
              : stack.routes.deployed(event)
        : stack.routes.deployed;
      const home = codexHome(stack.front.url, { websockets: true, streamMaxRetries: mode.streamMaxRetries });
      const upgradesBefore = stack.emulator.upgrades.length;
      const requestsBefore = stack.front.requests.length;
      const connectionsBefore = new Set(stack.emulator.connections.keys());
      const started = Date.now();
      const result = await runCodex(home, seeded.key, ["Say hi"]);
      const wall = Date.now() - started;
      await stack.emulator.settled();
      const upgrades = stack.emulator.upgrades.slice(upgradesBefore);
      const firstPost = stack.front.requests
        .slice(requestsBefore)
        .find((r) => r.method === "POST" && r.path === "/backend-api/codex/responses");
      const opened = [...stack.emulator.connections.values()].filter(
        (c) => !connectionsBefore.has(c.connectionId),
      );
      const frames = opened.flatMap((c) => c.inboundFrames);
      // The code the front closed with, else how the client left (1000, or 1006 without a close frame).
      const closes = opened.map((c) => c.closeSent ?? c.closed?.code ?? "open");
      rows.push(
        `| ${mode.name} | ${run + 1} | ${result.code === 0 ? "ok" : `exit ${result.code}`} | ${upgrades.map((u) => u.status).join(" ")} | ${
          firstPost ? ((firstPost.at - (upgrades[0]?.at ?? started)) / 1000).toFixed(2) : "-"
        } | ${(wall / 1000).toFixed(2)} | ${frames.map((f) => (f / 1024).toFixed(1)).join(" ") || "-"} | ${closes.join(" ") || "-"} |`,
      );
      process.stderr.write(`${rows.at(-1)}\n`);
    }
  }
} finally {
  await stack.stop();
}
process.stdout.write(
  [
    "| Upgrade answer | Run | Turn | Upgrade statuses | First upgrade → first HTTP POST (s) | Codex wall time (s) | Client frames (KB) | Close codes |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n"),
);

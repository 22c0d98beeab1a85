import { it } from "vitest";
import { startTestGateway } from "./helpers/gateway.ts";

it("probe", async () => {
  const gw = await startTestGateway();
  try {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    for (const c of [
      "garbage",
      "MQ",
      b64({ pk: "X" }),
      b64({ a: 1 }),
      b64("str"),
      b64(null),
      b64([1]),
      "%%%",
    ]) {
      const r = await gw.admin("GET", `/audit-events?limit=2&cursor=${encodeURIComponent(c)}`);
      console.log("audit", c, r.status, JSON.stringify(r.body).slice(0, 200));
      const l = await gw.admin("GET", `/request-logs?limit=2&cursor=${encodeURIComponent(c)}`);
      console.log("logs", c, l.status, JSON.stringify(l.body).slice(0, 200));
    }
    console.log(JSON.stringify((await gw.admin("POST", "/pools", { name: "a", extra: 1 })).body));
    console.log(JSON.stringify((await gw.admin("POST", "/pools", { name: "a", strategy: "x" })).body));
    console.log(JSON.stringify((await gw.admin("POST", "/pools", { name: "A b" })).body));
    console.log(JSON.stringify((await gw.admin("POST", "/pools", { name: "a" })).body));
    console.log(JSON.stringify((await gw.admin("POST", "/pools", { name: "a" })).body));
    console.log(JSON.stringify((await gw.admin("GET", "/audit-events")).body));
    console.log(gw.logLines.join("\n"));
  } finally {
    await gw.stop();
  }
});

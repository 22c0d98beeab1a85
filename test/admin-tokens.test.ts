// Admin tokens: more than one operator credential, rotation, and revocation (never of the caller's own).
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

const asToken = (token: string, method: string, path: string) =>
  fetch(`${gw.url}/admin/v1${path}`, { method, headers: { authorization: `Bearer ${token}` } });

it("creates, rotates and revokes admin tokens, and refuses to revoke the one in use", async () => {
  const created = await gw.admin("POST", "/admin-tokens", { label: "ci" });
  expect(created.status).toBe(201);
  const second: string = created.body.secret;
  expect(second).toMatch(/^adm-cxp-[0-9a-f]{12}-[A-Za-z0-9_-]{43}$/);
  expect((await asToken(second, "GET", "/pools")).status).toBe(200);

  const list = await gw.admin("GET", "/admin-tokens");
  expect(JSON.stringify(list.body)).not.toContain(second.slice(21));
  expect(list.body.data.map((t: { label: string }) => t.label)).toContain("ci");

  const selfRevoke = await asToken(second, "POST", `/admin-tokens/${created.body.token.id}/revoke`);
  expect(selfRevoke.status).toBe(409);
  expect((await selfRevoke.json()).error.code).toBe("admin_token_in_use");

  const rotated = await gw.admin("POST", `/admin-tokens/${created.body.token.id}/rotate`);
  expect((await asToken(second, "GET", "/pools")).status).toBe(401);
  expect((await asToken(rotated.body.secret, "GET", "/pools")).status).toBe(200);

  expect((await gw.admin("POST", `/admin-tokens/${created.body.token.id}/revoke`)).status).toBe(200);
  expect((await asToken(rotated.body.secret, "GET", "/pools")).status).toBe(401);
  const audit = (await gw.admin("GET", "/audit-events?limit=20")).body.data.map(
    (e: { action: string }) => e.action,
  );
  expect(audit).toEqual(
    expect.arrayContaining(["admin_token.create", "admin_token.rotate", "admin_token.revoke"]),
  );
});

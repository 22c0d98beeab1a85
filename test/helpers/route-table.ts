// The app's route table, read from Hono (`app.routes`), for tests that must hold on every route: a
// route added tomorrow is in the table without anyone listing it.
import { randomBytes } from "node:crypto";
import { createApp } from "../../src/http/app.ts";

export type CredentialKind = "pool_key" | "admin_token" | "mcp_token";
export interface RouteEntry {
  method: string;
  /** Hono's pattern: `/admin/v1/keys/:id`, `/admin/*`. */
  path: string;
  /** `GET /v1/models` */
  name: string;
}

/** Every method and pattern the full gateway app serves (`ALL` entries are middleware, left out). */
export function appRoutes(): RouteEntry[] {
  // Building the app reads nothing from the gateway; the route table is all that is used.
  const app = createApp({ ctx: { clock: { now: () => 0 } } } as never, {
    adminAuthenticator: async () => undefined,
    version: "test",
  });
  const seen = new Set<string>();
  const routes: RouteEntry[] = [];
  for (const { method, path } of app.routes) {
    const name = `${method} ${path}`;
    if (method === "ALL" || seen.has(name)) continue;
    seen.add(name);
    routes.push({ method, path, name });
  }
  return routes;
}

/** A concrete path for a pattern: `:model` a model, other parameters a well-formed id nobody holds. */
export const concretePath = (pattern: string) =>
  pattern
    .replace(/:model\b/g, "gpt-5.5")
    .replace(/:[a-z]+/gi, "0123456789ab")
    .replace(/\*/g, "x");

/** The paths the runtime firewall leaves open (docs/admin-api.md, Settings). */
export const firewallOpen = (path: string) =>
  path === "/healthz" || path === "/readyz" || path.startsWith("/admin/v1/");

const SCHEMES: Record<CredentialKind, string> = {
  pool_key: "sk-cxp-",
  admin_token: "adm-cxp-",
  mcp_token: "mcp-cxp-",
};

/** A well-formed credential of the kind whose id nobody holds: a guess. */
export const guessCredential = (kind: CredentialKind) =>
  `${SCHEMES[kind]}${randomBytes(6).toString("hex")}-${"Q".repeat(43)}`;

// Ready-to-save configs for the clients the gateway supports. Pure and side-effect free, with no
// import from any layer: the CLI (`pooler client-config`) and the web console both render from here.
// Rendered text never holds a key: only environment variable references or placeholders.
import { aider } from "./aider.ts";
import { cline } from "./cline.ts";
import { codexCli } from "./codex-cli.ts";
import { continueDev } from "./continue.ts";
import { goose } from "./goose.ts";
import { hermes } from "./hermes.ts";
import { kilo } from "./kilo.ts";
import { openaiCompatible } from "./openai-compatible.ts";
import { openclaw } from "./openclaw.ts";
import { opencode } from "./opencode.ts";
import { openhands } from "./openhands.ts";
import { omp, pi } from "./pi.ts";
import { codexBase, v1Base } from "./text.ts";
import {
  type ClientConfig,
  type ClientConfigOptions,
  type ClientTemplate,
  ROUTE_FAMILIES,
  type RouteFamily,
} from "./types.ts";
import { windmill } from "./windmill.ts";

export type {
  ClientConfig,
  ClientConfigFile,
  ClientConfigOptions,
  ClientTemplate,
  ConfigFormat,
  RouteFamily,
} from "./types.ts";
export { ROUTE_FAMILIES, ROUTE_PATHS } from "./types.ts";

/** Bad options: `param` names the option (url, key_env, model, route, client). */
export class ClientConfigError extends Error {
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
    this.name = "ClientConfigError";
  }
}

const badRequest = (message: string, param: string) => new ClientConfigError(message, param);

export const DEFAULT_CLIENT_URL = "http://localhost:4000";
export const DEFAULT_KEY_ENV = "CODEX_POOLER_API_KEY";
export const DEFAULT_CLIENT_MODEL = "gpt-5.5";

export const CLIENT_TEMPLATES: readonly ClientTemplate[] = [
  codexCli,
  openaiCompatible,
  aider,
  continueDev,
  cline,
  goose,
  kilo,
  opencode,
  openclaw,
  openhands,
  omp,
  pi,
  hermes,
  windmill,
];

/** The clients as plain data (for listings, MCP answers, a console's picker). */
export function clientCatalog(): Omit<ClientTemplate, "render">[] {
  return CLIENT_TEMPLATES.map(({ render: _render, ...entry }) => ({ ...entry, routes: [...entry.routes] }));
}

/** The template for a client id or one of its aliases (case and surrounding space ignored). */
export function findClientTemplate(id: string): ClientTemplate | undefined {
  const wanted = id.trim().toLowerCase();
  return CLIENT_TEMPLATES.find((t) => t.id === wanted || t.aliases?.includes(wanted));
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MODEL = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
// A trailing API prefix is tolerated (people paste the base URL they already use elsewhere).
const API_SUFFIX = /\/(v1|backend-api\/codex)\/?$/;

/** The gateway origin (plus any path prefix it is mounted under), without a trailing slash. */
export function normalizeGatewayUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw badRequest(`url must be an absolute http(s) URL such as ${DEFAULT_CLIENT_URL}`, "url");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw badRequest("url must start with http:// or https://", "url");
  }
  if (url.username || url.password || url.search || url.hash) {
    throw badRequest("url must not contain credentials, a query or a fragment", "url");
  }
  const path = url.pathname.replace(API_SUFFIX, "").replace(/\/+$/, "");
  return `${url.origin}${path}`;
}

export function isRouteFamily(value: string): value is RouteFamily {
  return (ROUTE_FAMILIES as readonly string[]).includes(value);
}

/** Renders the config files for one client; throws a `ClientConfigError` for bad options. */
export function renderClientConfig(clientId: string, options: ClientConfigOptions = {}): ClientConfig {
  const template = findClientTemplate(clientId);
  if (!template) {
    const known = CLIENT_TEMPLATES.map((t) => t.id).join(", ");
    throw badRequest(`unknown client "${clientId}"; choose one of: ${known}`, "client");
  }
  const url = normalizeGatewayUrl(options.url ?? DEFAULT_CLIENT_URL);
  const keyEnv = options.keyEnv ?? DEFAULT_KEY_ENV;
  if (!ENV_NAME.test(keyEnv)) {
    throw badRequest(
      "key env takes the name of an environment variable (such as CODEX_POOLER_API_KEY), not a key",
      "key_env",
    );
  }
  const model = options.model ?? DEFAULT_CLIENT_MODEL;
  if (!MODEL.test(model)) throw badRequest("model must be a model id such as gpt-5.5", "model");
  const route = options.route ?? template.routes[0];
  if (!route || !template.routes.includes(route)) {
    throw badRequest(
      `${template.name} cannot use the ${route} route family; it supports: ${template.routes.join(", ")}`,
      "route",
    );
  }
  const input = { url, keyEnv, route, model };
  return {
    client: template.id,
    name: template.name,
    route,
    baseUrl: route === "codex" ? codexBase(input) : v1Base(input),
    keyEnv,
    model,
    doc: template.doc,
    files: template.render(input),
  };
}

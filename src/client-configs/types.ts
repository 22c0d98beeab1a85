// Shapes shared by the client config templates. Templates are pure: options in, text out.

/**
 * Which gateway surface a client talks to:
 * - `chat`: `POST /v1/chat/completions`
 * - `responses`: `POST /v1/responses`
 * - `codex`: `POST /backend-api/codex/responses` (Codex backend Responses)
 */
export type RouteFamily = "chat" | "responses" | "codex";

export const ROUTE_FAMILIES: readonly RouteFamily[] = ["chat", "responses", "codex"];

/** The gateway path each route family ends in (what request logs show as `route`). */
export const ROUTE_PATHS: Readonly<Record<RouteFamily, string>> = {
  chat: "/v1/chat/completions",
  responses: "/v1/responses",
  codex: "/backend-api/codex/responses",
};

export type ConfigFormat = "toml" | "yaml" | "json" | "jsonc" | "env" | "shell" | "python" | "javascript";

export interface ClientConfigFile {
  /**
   * Where the text goes: a file path (`~` = the user's home), or, for `kind: "snippet"`, a short
   * label of where to run it (e.g. "shell").
   */
  path: string;
  /** `file`: save as `path`. `snippet`: commands or code to run or paste, not a file of its own. */
  kind: "file" | "snippet";
  format: ConfigFormat;
  content: string;
  /** One or two sentences: what the file does and anything the user must do besides saving it. */
  note: string;
}

/** Inputs after validation: `url` is the gateway origin (no trailing slash, no `/v1`). */
export interface RenderInput {
  url: string;
  keyEnv: string;
  route: RouteFamily;
  model: string;
}

export interface ClientTemplate {
  id: string;
  /** Other names accepted for this client (older or documented elsewhere); output always uses `id`. */
  aliases?: readonly string[];
  name: string;
  /** Route families the client can use through the gateway; the first one is the default. */
  routes: readonly RouteFamily[];
  /** The main config file, for listings. */
  configFile: string;
  /** Documentation page, relative to the repository root. */
  doc: string;
  render(input: RenderInput): ClientConfigFile[];
}

export interface ClientConfig {
  client: string;
  name: string;
  route: RouteFamily;
  /** The base URL the client is configured with (`…/v1` or `…/backend-api/codex`). */
  baseUrl: string;
  keyEnv: string;
  model: string;
  doc: string;
  files: ClientConfigFile[];
}

export interface ClientConfigOptions {
  /** Gateway origin, e.g. `http://localhost:4000`; a trailing `/v1` or `/backend-api/codex` is tolerated. */
  url?: string;
  /** Environment variable that holds the Pool API key. */
  keyEnv?: string;
  route?: RouteFamily;
  model?: string;
}

// The deterministic "Unsupported OpenAI /v1 endpoint" answer (codex-pooler-features §2.4). It runs
// after key auth and before anything reads the body, so a malformed or huge body changes nothing,
// and it never reaches the upstream or writes a request log.
import { createMiddleware } from "hono/factory";
import { unsupportedEndpoint } from "../../../core/openai/errors.ts";
import type { AppEnv } from "../../types.ts";

const ANY = null;
const RULES: [methods: string[] | null, path: RegExp][] = [
  [["POST"], /^\/v1\/embeddings$/],
  [ANY, /^\/v1\/batches(\/.*)?$/],
  [["POST"], /^\/v1\/moderations$/],
  [ANY, /^\/v1\/fine_tuning\/jobs(\/.*)?$/],
  [["POST"], /^\/v1\/images\/variations$/],
  [["POST"], /^\/v1\/content_provenance_checks$/],
  [["POST"], /^\/v1\/responses\/compact$/],
  [["GET", "HEAD", "DELETE"], /^\/v1\/responses\/[^/]+$/],
  [["POST"], /^\/v1\/responses\/[^/]+\/cancel$/],
  [["GET", "HEAD"], /^\/v1\/files\/[^/]+\/content$/],
  [["DELETE"], /^\/v1\/files\/[^/]+$/],
  // Realtime (HTTP, sessions and the WebSocket upgrade): answered here, never upgraded.
  [ANY, /^\/v1\/realtime(\/.*)?$/],
];

export function isUnsupportedEndpoint(method: string, path: string): boolean {
  return RULES.some(
    ([methods, pattern]) => (methods === ANY || methods.includes(method)) && pattern.test(path),
  );
}

export const unsupportedEndpoints = createMiddleware<AppEnv>(async function unsupportedEndpoints(c, next) {
  // c.req.path is decoded once, so /v1/%69mages/variations matches too.
  if (isUnsupportedEndpoint(c.req.method, c.req.path)) return unsupportedEndpoint();
  await next();
});

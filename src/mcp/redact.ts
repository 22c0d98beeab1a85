// Second line of defence for MCP answers: the views already hold metadata only, but anything that
// still looks secret (a credential, a JWT, an email, a secret-named field) is masked or dropped
// before it leaves, so a future view change cannot leak through an agent's context window.

const SECRET_FIELD =
  /^(secret|secret_?hash|secret_?name|password|authorization|cookie|set-cookie|email|refresh_?token|access_?token|id_?token|api_?key|openai_api_key|chatgpt_?account_?id|chatgpt_?user_?id|tokens|auth_?json)$/i;

const PATTERNS: [RegExp, string][] = [
  // Our own credentials keep their public id (what operators see in lists), never the secret part.
  [/\b(sk|mcp|adm)-cxp-([0-9a-f]{12})-[A-Za-z0-9_-]{8,}/g, "$1-cxp-$2-[redacted]"],
  // JWTs (ChatGPT id/access tokens).
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, "[redacted-jwt]"],
  // OpenAI-style API keys (sk-…, sk-proj-…) and refresh tokens (rt_…, rt-…).
  [/\bsk-(?!cxp-)[A-Za-z0-9_-]{20,}/g, "[redacted-key]"],
  [/\brt[_-][A-Za-z0-9._-]{20,}/g, "[redacted-token]"],
  // Bearer values in any free text.
  [/\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/g, "Bearer [redacted]"],
  // MCP answers carry no emails at all, not even masked ones.
  [/[A-Za-z0-9._%+*-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, "[redacted-email]"],
];

export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Deep copy with secret-named fields dropped and secret-looking strings masked. */
export function redact<T>(value: T): T {
  return walk(value, 0) as T;
}

const MAX_DEPTH = 32;

function walk(value: unknown, depth: number): unknown {
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object") return value;
  if (depth > MAX_DEPTH) return "[truncated]";
  if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (SECRET_FIELD.test(key)) continue;
    out[redactText(key)] = walk(item, depth + 1);
  }
  return out;
}

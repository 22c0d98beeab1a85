/**
 * An expected failure: printed as one `error: <message>` line on stderr, exit code 1.
 * Anything else that escapes a command is reported the same way, without a stack trace.
 */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: number;
  /** The API's `error.code` when the failure is an admin API error answer. */
  readonly code: string | undefined;

  constructor(message: string, exitCode = 1, code?: string) {
    super(message);
    this.exitCode = exitCode;
    this.code = code;
  }
}

const SECRET_PATTERNS: ReadonlyArray<[RegExp, (match: string, ...groups: string[]) => string]> = [
  // Pool API keys / MCP tokens: keep the public prefix ("sk-cxp-<12 hex>"), drop the rest.
  [/\b((?:sk|mcp)-cxp-[A-Za-z0-9]{12})[A-Za-z0-9_-]+/g, (_m, prefix) => `${prefix}…`],
  // JWTs (ChatGPT id/access tokens).
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, () => "[redacted-jwt]"],
  // Bearer credentials of any other shape.
  [/\b(Bearer\s+)\S+/gi, (_m, bearer) => `${bearer}[redacted]`],
];

/** Defence in depth for text we did not write ourselves (server messages, warnings). */
export function redactSecrets(text: string, extraSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of extraSecrets) {
    if (secret.length >= 8) out = out.split(secret).join("[redacted]");
  }
  for (const [pattern, replace] of SECRET_PATTERNS) {
    out = out.replace(pattern, replace as (substring: string, ...args: unknown[]) => string);
  }
  return out;
}

/** Collapses a message to a single line (the error contract is exactly one line on stderr). */
export function oneLine(text: string): string {
  return text
    .replace(/\s*[\r\n]+\s*/g, " ")
    .replace(/^error:\s*/i, "")
    .trim();
}

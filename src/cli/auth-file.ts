// Reads a Codex auth.json for `account import`. The contents are credentials: they are parsed and sent
// to the gateway, never echoed (not even in parse errors, whose messages can quote the input).
import { open } from "node:fs/promises";
import { CliError } from "./errors.ts";

export const MAX_AUTH_JSON_BYTES = 64 * 1024;

export async function readAuthJson(
  source: string,
  stdin: NodeJS.ReadableStream,
): Promise<Record<string, unknown>> {
  const label = source === "-" ? "auth JSON from stdin" : `auth file ${JSON.stringify(source)}`;
  const bytes = source === "-" ? await readStream(stdin, label) : await readFile(source, label);

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new CliError(`${label} is not valid JSON (not UTF-8 text)`);
  }
  if (text.trim() === "") throw new CliError(`${label} is empty`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliError(`${label} is not valid JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CliError(`${label} must contain a JSON object (a Codex auth.json)`);
  }
  return value as Record<string, unknown>;
}

function tooLarge(label: string): CliError {
  return new CliError(`${label} is larger than ${MAX_AUTH_JSON_BYTES / 1024} KB; expected a Codex auth.json`);
}

async function readFile(path: string, label: string): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (err) {
    throw new CliError(`cannot read ${label}: ${describeFsError(err)}`);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new CliError(`cannot read ${label}: it is a directory`);
    if (stat.isFile() && stat.size > MAX_AUTH_JSON_BYTES) throw tooLarge(label);
    // Read at most one byte past the limit (sizes of pipes and devices are not known up front).
    const buffer = new Uint8Array(MAX_AUTH_JSON_BYTES + 1);
    let total = 0;
    while (total < buffer.length) {
      const { bytesRead } = await handle.read(buffer, total, buffer.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    if (total > MAX_AUTH_JSON_BYTES) throw tooLarge(label);
    return buffer.subarray(0, total);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read ${label}: ${describeFsError(err)}`);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function readStream(stream: NodeJS.ReadableStream, label: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk);
      total += buf.length;
      if (total > MAX_AUTH_JSON_BYTES) throw tooLarge(label);
      chunks.push(buf);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read ${label}: ${describeFsError(err)}`);
  }
  return Buffer.concat(chunks);
}

function describeFsError(err: unknown): string {
  const code = typeof err === "object" && err !== null && "code" in err ? String(err.code) : "";
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "it is a directory";
    case "ENOTDIR":
      return "a parent of the path is not a directory";
    default:
      return code ? `read failed (${code})` : "read failed";
  }
}

// Quoting helpers for hand-written config text (no YAML/TOML library at runtime).
import type { RenderInput } from "./types.ts";

/** A double-quoted string valid in TOML, YAML and JSON alike (JSON escapes are a subset of all three). */
export function quoted(value: string): string {
  return JSON.stringify(value);
}

/** Pretty JSON with a trailing newline. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Base URL of the OpenAI-compatible surface. */
export function v1Base(input: RenderInput): string {
  return `${input.url}/v1`;
}

/** Base URL of the Codex backend surface (Codex appends `/responses`). */
export function codexBase(input: RenderInput): string {
  return `${input.url}/backend-api/codex`;
}

export function lines(...parts: string[]): string {
  return `${parts.join("\n")}\n`;
}

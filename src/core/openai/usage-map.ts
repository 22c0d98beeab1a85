// Responses usage → Chat Completions usage (codex-protocol §8.2).
import { isObject, type Json } from "./common.ts";

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

export function chatUsage(raw: unknown): Json | undefined {
  if (!isObject(raw)) return undefined;
  const input = isObject(raw.input_tokens_details) ? raw.input_tokens_details : {};
  const output = isObject(raw.output_tokens_details) ? raw.output_tokens_details : {};
  return {
    prompt_tokens: num(raw.input_tokens),
    completion_tokens: num(raw.output_tokens),
    total_tokens: num(raw.total_tokens) || num(raw.input_tokens) + num(raw.output_tokens),
    prompt_tokens_details: { cached_tokens: num(input.cached_tokens) },
    completion_tokens_details: { reasoning_tokens: num(output.reasoning_tokens) },
  };
}

// The Pool's Codex catalog as the OpenAI model list (codex-pooler-features §2.11): no backend-only
// fields, and `context_length` is the effective window (raw window × effective percent).
import { isObject, type Json } from "./common.ts";

export function codexModels(catalogBody: string): Json[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(catalogBody);
  } catch {
    return [];
  }
  const models = isObject(parsed) && Array.isArray(parsed.models) ? parsed.models : [];
  return models.filter(
    (m): m is Json => isObject(m) && typeof m.slug === "string" && m.visibility !== "hide",
  );
}

export function openaiModel(model: Json, created: number): Json {
  const out: Json = {
    id: model.slug,
    object: "model",
    created,
    owned_by: "codex-pooler",
    permission: [],
    input_modalities: Array.isArray(model.input_modalities) ? model.input_modalities : ["text"],
    display_name: typeof model.display_name === "string" ? model.display_name : model.slug,
    supports_streaming: true,
    supports_tools: true,
    supports_reasoning:
      Array.isArray(model.supported_reasoning_levels) && model.supported_reasoning_levels.length > 0,
  };
  if (typeof model.context_window === "number") {
    const percent =
      typeof model.effective_context_window_percent === "number"
        ? model.effective_context_window_percent
        : 100;
    out.context_length = Math.floor((model.context_window * percent) / 100);
  }
  return out;
}

/** The model that carries hosted tool work (image generation): the catalog's first by priority. */
export function defaultModel(models: Json[]): string | undefined {
  const ranked = [...models].sort(
    (a, b) =>
      (typeof a.priority === "number" ? a.priority : 1e9) -
      (typeof b.priority === "number" ? b.priority : 1e9),
  );
  return (
    (ranked.find((m) => m.visibility === "list")?.slug as string | undefined) ??
    (ranked[0]?.slug as string | undefined)
  );
}

// /v1/audio/transcriptions (OpenAI multipart) → the upstream `/backend-api/transcribe` form
// (codex-pooler-features §2.13). The file part is handed on as the same Blob, never copied.
import { badRequest } from "../errors.ts";
import { invalid, type Json, unsupportedParameter } from "./common.ts";

const MODELS: Record<string, string> = {
  "gpt-4o-transcribe": "gpt-4o-transcribe",
  "gpt-4o-mini-transcribe": "gpt-4o-mini-transcribe",
  "gpt-transcribe": "gpt-4o-transcribe",
  "whisper-1": "whisper-1",
};

const FIELDS = new Set([
  "file",
  "model",
  "language",
  "prompt",
  "response_format",
  "temperature",
  "keywords",
  "keywords[]",
  "languages",
  "languages[]",
  "stream",
  "timestamp_granularities",
  "timestamp_granularities[]",
  "include",
  "include[]",
  "chunking_strategy",
  "known_speaker_names",
  "known_speaker_names[]",
  "known_speaker_references",
  "known_speaker_references[]",
]);
const HONOURED = new Set(["file", "model", "language", "prompt", "response_format", "temperature"]);

export interface Transcription {
  upstream: FormData;
  model: string;
  responseFormat: "json" | "text";
}

export function transcriptionForm(form: FormData, maxFileBytes: number): Transcription {
  for (const key of new Set(form.keys())) {
    if (!FIELDS.has(key)) throw unsupportedParameter(key);
    const list = key.replace(/\[\]$/, "");
    if (!HONOURED.has(key) && list !== "keywords" && list !== "languages") {
      const value = form.get(key);
      if (key === "stream" && (value === "false" || value === "")) continue;
      throw unsupportedParameter(key);
    }
  }
  const file = form.get("file");
  if (!(file instanceof Blob) || file.size === 0)
    throw badRequest("file is required: the audio to transcribe", "file");
  if (file.size > maxFileBytes)
    throw badRequest(`file is larger than ${maxFileBytes} bytes`, "file", "file_too_large");
  const rawModel = form.get("model");
  const model = typeof rawModel === "string" ? MODELS[rawModel] : undefined;
  if (!model) {
    throw badRequest(
      `audio transcription model is not supported; use one of ${Object.keys(MODELS).join(", ")}`,
      "model",
      "invalid_model",
    );
  }
  const format = form.get("response_format") ?? "json";
  if (format !== "json" && format !== "text") {
    throw unsupportedParameter("response_format", "json and text are supported");
  }
  const upstream = new FormData();
  upstream.append("file", file, file instanceof File ? file.name : "audio");
  upstream.append("model", model);
  for (const key of ["language", "prompt", "temperature"]) {
    const value = form.get(key);
    if (value === null) continue;
    if (typeof value !== "string") throw invalid(key, "must be a text field");
    upstream.append(key, value);
  }
  // Lists keep their order and duplicates; empty lists are left out.
  for (const list of ["keywords", "languages"]) {
    for (const value of [...form.getAll(list), ...form.getAll(`${list}[]`)]) {
      if (typeof value !== "string") throw invalid(list, "must be text fields");
      if (value !== "") upstream.append(`${list}[]`, value);
    }
  }
  return { upstream, model, responseFormat: format };
}

/** Detected-language fields are dropped (the original's contract): text, plus usage when given. */
export function transcriptionResult(json: unknown): Json | undefined {
  if (typeof json !== "object" || json === null || typeof (json as Json).text !== "string") return undefined;
  const body = json as Json;
  return { text: body.text, ...(body.usage !== undefined ? { usage: body.usage } : {}) };
}

// /v1/images/generations and /v1/images/edits → one Codex Responses turn with the hosted
// `image_generation` tool (what the original does), and the generated image back in the Images API
// shape. One image per request: `n` above 1 is refused rather than silently reduced.
import { badRequest } from "../errors.ts";
import { invalid, isObject, type Json, present, safetyIdentifier, unsupportedParameter } from "./common.ts";
import { finish, type TurnPlan } from "./responses-request.ts";

const FIELDS = new Set([
  "model",
  "prompt",
  "size",
  "quality",
  "background",
  "input_fidelity",
  "n",
  "response_format",
  "user",
  "output_format",
  "output_compression",
  "moderation",
  "stream",
  "partial_images",
  "style",
  "image",
  "image[]",
  "mask",
]);

const CHOICES: Record<string, string[]> = {
  size: ["auto", "1024x1024", "1536x1024", "1024x1536"],
  quality: ["auto", "low", "medium", "high"],
  background: ["auto", "transparent", "opaque"],
  output_format: ["png", "jpeg", "webp"],
  moderation: ["auto", "low"],
  input_fidelity: ["low", "high"],
};

const IMAGE_MODEL = /^gpt-image-[A-Za-z0-9._-]{1,60}$/;

export interface ImageRequest {
  /** JSON body fields, or multipart text fields (numbers arrive as strings there). */
  fields: Json;
  /** Input images (edits) as data URLs. */
  images: string[];
  mask?: string;
}

export function imagesToCodex(
  request: ImageRequest,
  hostModel: string,
  kind: "generation" | "edit",
): TurnPlan {
  const f = request.fields;
  for (const key of Object.keys(f)) if (!FIELDS.has(key)) throw unsupportedParameter(key);
  if (typeof f.prompt !== "string" || f.prompt.trim() === "")
    throw badRequest("prompt is required", "prompt");
  if (present(f.model) && (typeof f.model !== "string" || !IMAGE_MODEL.test(f.model))) {
    throw badRequest("image model is not supported: use a gpt-image model", "model", "invalid_model");
  }
  const n = present(f.n) ? Number(f.n) : 1;
  if (n !== 1) throw unsupportedParameter("n", "one image per request");
  if (present(f.response_format) && f.response_format !== "b64_json") {
    throw unsupportedParameter("response_format", "images are returned as b64_json");
  }
  for (const key of ["stream", "partial_images", "style"]) {
    if (present(f[key]) && f[key] !== false && f[key] !== "false" && f[key] !== 0 && f[key] !== "0") {
      throw unsupportedParameter(key);
    }
  }
  if (kind === "generation" && present(f.input_fidelity))
    throw unsupportedParameter("input_fidelity", "edits only");
  if (kind === "edit" && request.images.length === 0)
    throw badRequest("image is required for an edit", "image");

  const tool: Json = { type: "image_generation" };
  if (typeof f.model === "string") tool.model = f.model;
  for (const [key, allowed] of Object.entries(CHOICES)) {
    if (!present(f[key])) continue;
    if (typeof f[key] !== "string" || !allowed.includes(f[key] as string)) {
      throw invalid(key, `must be one of ${allowed.join(", ")}`);
    }
    tool[key] = f[key];
  }
  if (present(f.output_compression)) {
    const c = Number(f.output_compression);
    if (!Number.isInteger(c) || c < 0 || c > 100)
      throw invalid("output_compression", "must be an integer from 0 to 100");
    tool.output_compression = c;
  }
  if (request.mask) tool.input_image_mask = { image_url: request.mask };

  const upstream: Json = {
    model: hostModel,
    instructions: "",
    input: [
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: f.prompt },
          ...request.images.map((url) => ({ type: "input_image", image_url: url })),
        ],
      },
    ],
    tools: [tool],
    tool_choice: { type: "image_generation" },
    parallel_tool_calls: false,
  };
  const safety = safetyIdentifier(f);
  if (safety !== undefined) upstream.safety_identifier = safety;
  return finish({ upstream, model: hostModel, stream: false, fileIds: [], usesImageGeneration: true });
}

/** The Images API answer from a collected turn; undefined when no image came back. */
export function imagesResult(response: Json, nowMs: number): Json | undefined {
  const output = Array.isArray(response.output) ? response.output.filter(isObject) : [];
  const calls = output.filter(
    (item) => item.type === "image_generation_call" && typeof item.result === "string",
  );
  const first = calls[0];
  if (!first) return undefined;
  const out: Json = {
    created: typeof response.created_at === "number" ? response.created_at : Math.floor(nowMs / 1000),
    data: calls.map((call) => ({
      b64_json: call.result,
      ...(typeof call.revised_prompt === "string" ? { revised_prompt: call.revised_prompt } : {}),
    })),
  };
  for (const key of ["background", "output_format", "quality", "size"]) {
    if (typeof first[key] === "string") out[key] = first[key];
  }
  const usage = isObject(response.usage) ? response.usage : undefined;
  if (usage) {
    out.usage = {
      input_tokens: usage.input_tokens ?? 0,
      output_tokens: usage.output_tokens ?? 0,
      total_tokens: usage.total_tokens ?? 0,
    };
  }
  return out;
}

// POST /v1/responses → the Codex Responses body (codex-pooler-features §2.7): allowlisted fields,
// locally rejected ones named in a 400, system/developer input lifted into `instructions`, and the
// Codex envelope forced (stream:true, store:false, reasoning.encrypted_content included).
import { badRequest } from "../errors.ts";
import {
  checkImageUrl,
  invalid,
  isObject,
  type Json,
  positiveInt,
  present,
  reasoningEffort,
  requireModel,
  safetyIdentifier,
  serviceTier,
  unsupportedParameter,
} from "./common.ts";

const ALLOWED = new Set([
  "background",
  "client_metadata",
  "context_management",
  "conversation",
  "include",
  "input",
  "instructions",
  "max_output_tokens",
  "max_tool_calls",
  "metadata",
  "model",
  "moderation",
  "parallel_tool_calls",
  "previous_response_id",
  "prompt",
  "prompt_cache_key",
  "prompt_cache_options",
  "prompt_cache_retention",
  "reasoning",
  "safety_identifier",
  "service_tier",
  "store",
  "stream",
  "stream_options",
  "temperature",
  "text",
  "tool_choice",
  "tools",
  "top_logprobs",
  "top_p",
  "truncation",
  "user",
]);

/** Stateful or hosted features the Codex backend cannot honour. */
const REJECTED = [
  "background",
  "context_management",
  "conversation",
  "max_tool_calls",
  "prompt",
  "top_logprobs",
];

const FORWARDED = [
  "client_metadata",
  "input",
  "max_output_tokens",
  "metadata",
  "model",
  "moderation",
  "parallel_tool_calls",
  "previous_response_id",
  "prompt_cache_key",
  "prompt_cache_options",
  "prompt_cache_retention",
  "service_tier",
  "stream_options",
  "temperature",
  "text",
  "tool_choice",
  "tools",
  "top_p",
];

const REASONING_CONTEXTS = new Set(["auto", "current_turn", "all_turns"]);
export const ENCRYPTED_REASONING = "reasoning.encrypted_content";

export interface TurnPlan {
  /** The Codex Responses body to send upstream. */
  upstream: Json;
  model: string;
  /** Whether the client asked for SSE. */
  stream: boolean;
  /** `input_file.file_id`s referenced (they pin routing to the account holding them). */
  fileIds: string[];
  /** True when a tool asks for image generation (the Pool may forbid it). */
  usesImageGeneration: boolean;
  /** The effort as the client sent it, and where, for the key's policy check. */
  effort?: { value: unknown; param: "reasoning.effort" | "reasoning_effort" };
}

export function responsesToCodex(body: Json): TurnPlan {
  for (const key of Object.keys(body)) {
    if (!ALLOWED.has(key)) throw unsupportedParameter(key);
  }
  for (const key of REJECTED) {
    // `false`/`null` ask for nothing, so they are no-ops rather than unsupported requests.
    if (present(body[key]) && body[key] !== false) throw unsupportedParameter(key);
  }
  const model = requireModel(body.model);
  if (present(body.truncation) && body.truncation !== "auto" && body.truncation !== "disabled") {
    throw invalid("truncation", "must be auto or disabled");
  }
  if (present(body.stream) && typeof body.stream !== "boolean") throw invalid("stream", "must be a boolean");
  const upstream: Json = {};
  for (const key of FORWARDED) if (present(body[key])) upstream[key] = body[key];
  upstream.model = model;
  if (present(body.max_output_tokens)) positiveInt(body.max_output_tokens, "max_output_tokens");
  if (present(body.service_tier)) upstream.service_tier = serviceTier(body.service_tier);
  const safety = safetyIdentifier(body);
  if (safety !== undefined) upstream.safety_identifier = safety;

  const input = responsesInput(body.input, body.instructions);
  upstream.input = input.input;
  upstream.instructions = input.instructions;
  upstream.reasoning = reasoning(body.reasoning);
  upstream.include = include(body.include);
  const tools = checkTools(body.tools, "tools");
  const fileIds = input.fileIds;
  return finish({
    upstream,
    model,
    stream: body.stream === true,
    fileIds,
    usesImageGeneration: tools.imageGeneration,
    effort: {
      value: isObject(body.reasoning) ? body.reasoning.effort : undefined,
      param: "reasoning.effort",
    },
  });
}

/** The Codex envelope every /v1 turn gets, whatever the client sent. */
export function finish(plan: TurnPlan): TurnPlan {
  const upstream = plan.upstream;
  upstream.stream = true;
  upstream.store = false;
  if (!isObject(upstream.reasoning)) upstream.reasoning = {};
  const include = Array.isArray(upstream.include) ? (upstream.include as unknown[]) : [];
  upstream.include = [...include.filter((i) => i !== ENCRYPTED_REASONING), ENCRYPTED_REASONING];
  if (typeof upstream.instructions !== "string") upstream.instructions = "";
  return plan;
}

/** Responses `input` (+ `instructions`): normalized, system text lifted, file references collected. */
export function responsesInput(
  rawInput: unknown,
  rawInstructions: unknown,
): { input: unknown[]; instructions: string; fileIds: string[] } {
  const lifted = liftInstructions(normalizeInput(rawInput));
  const instructions = [
    ...(present(rawInstructions) ? [instructionText(rawInstructions)] : []),
    ...lifted.instructions,
  ];
  checkAdditionalTools(lifted.input);
  return {
    input: lifted.input,
    instructions: instructions.join("\n\n"),
    fileIds: checkInputFiles(lifted.input),
  };
}

function instructionText(value: unknown): string {
  if (typeof value !== "string") throw invalid("instructions", "must be a string");
  return value;
}

function normalizeInput(input: unknown): unknown[] {
  if (typeof input === "string") {
    return [{ type: "message", role: "user", content: [{ type: "input_text", text: input }] }];
  }
  if (!Array.isArray(input) || input.length === 0) {
    throw invalid("input", "must be a string or a non-empty array of input items");
  }
  return input;
}

/** System/developer message text moves to top-level `instructions` (the original's lifter). */
export function liftInstructions(input: unknown[]): { input: unknown[]; instructions: string[] } {
  const kept: unknown[] = [];
  const instructions: string[] = [];
  input.forEach((item, i) => {
    const isMessage =
      isObject(item) &&
      (item.type === "message" || (item.type === undefined && typeof item.role === "string"));
    if (!isMessage || (item.role !== "system" && item.role !== "developer")) {
      kept.push(item);
      return;
    }
    instructions.push(messageText(item.content, `input[${i}].content`));
  });
  return { input: kept, instructions };
}

function messageText(content: unknown, param: string): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw invalid(param, "must be a string or an array of text parts");
  return content
    .map((part, j) => {
      if (
        isObject(part) &&
        typeof part.text === "string" &&
        /^(input_text|text|output_text)$/.test(String(part.type))
      ) {
        return part.text;
      }
      throw invalid(`${param}[${j}]`, "system and developer messages may only hold text");
    })
    .join("\n");
}

function reasoning(value: unknown): Json {
  if (!present(value)) return {};
  if (!isObject(value)) throw invalid("reasoning", "must be an object");
  const out: Json = { ...value };
  if (present(value.effort)) out.effort = reasoningEffort(value.effort, "reasoning.effort");
  if (present(value.context)) {
    const context = typeof value.context === "string" ? value.context.trim().toLowerCase() : "";
    if (!REASONING_CONTEXTS.has(context))
      throw invalid("reasoning.context", "must be auto, current_turn or all_turns");
    out.context = context;
  }
  return out;
}

function include(value: unknown): string[] {
  if (!present(value)) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw invalid("include", "must be an array of strings");
  }
  return [...new Set(value as string[])];
}

/** MCP servers would be called by the upstream on the user's behalf: refused, not relayed. */
export function checkTools(tools: unknown, param: string): { imageGeneration: boolean } {
  if (!present(tools)) return { imageGeneration: false };
  if (!Array.isArray(tools)) throw invalid(param, "must be an array");
  let imageGeneration = false;
  tools.forEach((tool, i) => {
    if (!isObject(tool) || typeof tool.type !== "string")
      throw invalid(`${param}[${i}]`, "must be a tool object with a type");
    if (tool.type === "mcp") {
      throw badRequest(
        "MCP tools are not supported through Codex Pooler; call MCP servers from the client",
        `${param}[${i}].type`,
      );
    }
    if (tool.type === "image_generation") imageGeneration = true;
    if (tool.type === "namespace" && Array.isArray(tool.tools)) {
      imageGeneration ||= checkTools(tool.tools, `${param}[${i}].tools`).imageGeneration;
    }
  });
  return { imageGeneration };
}

function checkAdditionalTools(input: unknown[]): void {
  input.forEach((item, i) => {
    if (isObject(item) && item.type === "additional_tools") checkTools(item.tools, `input[${i}].tools`);
  });
}

/** Collects `input_file.file_id`s and refuses image references the upstream cannot read. */
function checkInputFiles(input: unknown[]): string[] {
  const ids: string[] = [];
  input.forEach((item, i) => {
    if (!isObject(item) || !Array.isArray(item.content)) return;
    item.content.forEach((part, j) => {
      if (!isObject(part)) return;
      const param = `input[${i}].content[${j}]`;
      if (part.type === "input_image") {
        if (present(part.file_id))
          throw unsupportedParameter(`${param}.file_id`, "send the image as a data: URL");
        if (present(part.image_url)) checkImageUrl(part.image_url, `${param}.image_url`);
      }
      if (part.type === "input_file" && present(part.file_id)) {
        if (typeof part.file_id !== "string") throw invalid(`${param}.file_id`, "must be a string");
        ids.push(part.file_id);
      }
    });
  });
  return [...new Set(ids)];
}

// POST /v1/chat/completions → the Codex Responses body (codex-pooler-features §2.6, codex-protocol
// §8.1). A parameter that cannot be honoured is a 400 naming it, never dropped silently.
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
import { checkTools, finish, responsesInput, type TurnPlan } from "./responses-request.ts";

const ALLOWED = new Set([
  "audio",
  "frequency_penalty",
  "function_call",
  "functions",
  "input",
  "instructions",
  "logit_bias",
  "logprobs",
  "max_completion_tokens",
  "max_tokens",
  "messages",
  "metadata",
  "modalities",
  "model",
  "moderation",
  "n",
  "parallel_tool_calls",
  "prediction",
  "presence_penalty",
  "prompt_cache_key",
  "prompt_cache_options",
  "prompt_cache_retention",
  "reasoning_effort",
  "response_format",
  "safety_identifier",
  "seed",
  "service_tier",
  "stop",
  "store",
  "stream",
  "stream_options",
  "temperature",
  "tool_choice",
  "tools",
  "top_logprobs",
  "top_p",
  "user",
  "verbosity",
  "web_search_options",
]);

/** Accepted by OpenAI, impossible on the Codex backend. The value that asks for nothing is a no-op. */
const REJECTED: Record<string, (value: unknown) => boolean> = {
  audio: () => false,
  frequency_penalty: (v) => v === 0,
  logit_bias: (v) => isObject(v) && Object.keys(v).length === 0,
  logprobs: (v) => v === false,
  modalities: (v) => Array.isArray(v) && v.length === 1 && v[0] === "text",
  n: (v) => v === 1,
  prediction: () => false,
  presence_penalty: (v) => v === 0,
  seed: () => false,
  stop: () => false,
  top_logprobs: (v) => v === 0,
  web_search_options: () => false,
};

const COPIED = [
  "metadata",
  "moderation",
  "parallel_tool_calls",
  "prompt_cache_key",
  "prompt_cache_options",
  "prompt_cache_retention",
  "temperature",
  "top_p",
];

export interface ChatPlan extends TurnPlan {
  includeUsage: boolean;
}

export function chatToCodex(body: Json): ChatPlan {
  if (present(body.functions))
    throw unsupportedParameter("functions", "legacy functions are not translatable; use tools");
  if (present(body.function_call)) {
    throw unsupportedParameter("function_call", "legacy functions are not translatable; use tool_choice");
  }
  for (const key of Object.keys(body)) if (!ALLOWED.has(key)) throw unsupportedParameter(key);
  for (const [key, noop] of Object.entries(REJECTED)) {
    if (present(body[key]) && !noop(body[key])) throw unsupportedParameter(key);
  }
  const includeUsage = streamOptions(body.stream_options);
  if (present(body.stream) && typeof body.stream !== "boolean") throw invalid("stream", "must be a boolean");

  const model = requireModel(body.model);
  const upstream: Json = { model };
  let fileIds: string[];
  if (present(body.messages) || !present(body.input)) {
    if (present(body.input)) throw invalid("input", "send either messages or input, not both");
    if (present(body.instructions)) throw unsupportedParameter("instructions", "use a system message");
    const converted = convertMessages(body.messages);
    upstream.instructions = converted.instructions.join("\n\n");
    upstream.input = converted.input;
    fileIds = converted.fileIds;
  } else {
    // The original's fallback: Responses-style `input` (and `instructions`) sent to the chat route.
    const input = responsesInput(body.input, body.instructions);
    upstream.instructions = input.instructions;
    upstream.input = input.input;
    fileIds = input.fileIds;
  }
  for (const key of COPIED) if (present(body[key])) upstream[key] = body[key];
  if (present(body.service_tier)) {
    if (String(body.service_tier).toLowerCase() === "ultrafast") {
      throw invalid("service_tier", "ultrafast is available on /v1/responses only");
    }
    upstream.service_tier = serviceTier(body.service_tier);
  }
  const safety = safetyIdentifier(body);
  if (safety !== undefined) upstream.safety_identifier = safety;

  const maxTokens = present(body.max_completion_tokens)
    ? positiveInt(body.max_completion_tokens, "max_completion_tokens")
    : present(body.max_tokens)
      ? positiveInt(body.max_tokens, "max_tokens")
      : undefined;
  if (maxTokens !== undefined) upstream.max_output_tokens = maxTokens;
  if (present(body.reasoning_effort)) {
    upstream.reasoning = { effort: reasoningEffort(body.reasoning_effort, "reasoning_effort") };
  }
  const textOptions = textFormat(body.response_format, body.verbosity);
  if (textOptions) upstream.text = textOptions;

  let usesImageGeneration = false;
  if (present(body.tools)) {
    upstream.tools = convertTools(body.tools);
    usesImageGeneration = checkTools(upstream.tools, "tools").imageGeneration;
  }
  if (present(body.tool_choice)) upstream.tool_choice = convertToolChoice(body.tool_choice);

  return {
    ...finish({
      upstream,
      model,
      stream: body.stream === true,
      fileIds,
      usesImageGeneration,
      effort: { value: body.reasoning_effort, param: "reasoning_effort" },
    }),
    includeUsage,
  };
}

function streamOptions(value: unknown): boolean {
  if (!present(value)) return false;
  if (!isObject(value)) throw invalid("stream_options", "must be an object");
  for (const key of Object.keys(value)) {
    if (key !== "include_usage") throw unsupportedParameter(`stream_options.${key}`);
  }
  if (present(value.include_usage) && typeof value.include_usage !== "boolean") {
    throw invalid("stream_options.include_usage", "must be a boolean");
  }
  return value.include_usage === true;
}

function textFormat(format: unknown, verbosity: unknown): Json | undefined {
  const out: Json = {};
  if (present(format)) {
    if (!isObject(format)) throw invalid("response_format", "must be an object");
    if (format.type === "text") out.format = { type: "text" };
    else if (format.type === "json_object") out.format = { type: "json_object" };
    else if (format.type === "json_schema") {
      const schema = format.json_schema;
      if (!isObject(schema) || typeof schema.name !== "string") {
        throw invalid("response_format.json_schema", "must be an object with a name and a schema");
      }
      if (present(schema.schema) && !isObject(schema.schema)) {
        throw invalid("response_format.json_schema.schema", "must be a JSON schema object");
      }
      if (schema.strict === true && isObject(schema.schema) && schema.schema.type !== "object") {
        throw badRequest(
          "a strict JSON schema must have type object at its root",
          "response_format.json_schema.schema",
          "invalid_json_schema",
        );
      }
      out.format = { type: "json_schema", ...schema };
    } else throw invalid("response_format.type", "must be text, json_object or json_schema");
  }
  if (present(verbosity)) {
    if (verbosity !== "low" && verbosity !== "medium" && verbosity !== "high") {
      throw invalid("verbosity", "must be low, medium or high");
    }
    out.verbosity = verbosity;
  }
  return Object.keys(out).length ? out : undefined;
}

function convertTools(tools: unknown): Json[] {
  if (!Array.isArray(tools)) throw invalid("tools", "must be an array");
  return tools.map((tool, i) => {
    const param = `tools[${i}]`;
    if (!isObject(tool)) throw invalid(param, "must be a tool object");
    if (tool.type === "mcp") {
      throw badRequest(
        "MCP tools are not supported through Codex Pooler; call MCP servers from the client",
        `${param}.type`,
      );
    }
    if (tool.type === "function") {
      const fn = tool.function;
      if (!isObject(fn) || typeof fn.name !== "string")
        throw invalid(`${param}.function`, "must be an object with a name");
      if (fn.strict === true && isObject(fn.parameters) && fn.parameters.type !== "object") {
        throw badRequest(
          "strict function parameters must have type object at their root",
          `${param}.function.parameters`,
          "invalid_function_parameters",
        );
      }
      return { type: "function", ...fn };
    }
    if (tool.type === "custom") {
      const custom = tool.custom;
      if (!isObject(custom) || typeof custom.name !== "string")
        throw invalid(`${param}.custom`, "must be an object with a name");
      if (custom.name.includes("."))
        throw unsupportedParameter(`${param}.custom.name`, "namespaced custom tools are not translatable");
      return { type: "custom", ...custom };
    }
    throw invalid(`${param}.type`, "must be function or custom");
  });
}

function convertToolChoice(choice: unknown): unknown {
  if (choice === "none" || choice === "auto" || choice === "required") return choice;
  if (!isObject(choice)) throw invalid("tool_choice", "must be none, auto, required or a tool choice object");
  if (choice.type === "function" && isObject(choice.function) && typeof choice.function.name === "string") {
    return { type: "function", name: choice.function.name };
  }
  if (choice.type === "custom" && isObject(choice.custom) && typeof choice.custom.name === "string") {
    return { type: "custom", name: choice.custom.name };
  }
  if (choice.type === "allowed_tools" && isObject(choice.allowed_tools)) {
    const { mode, tools } = choice.allowed_tools;
    if ((mode !== "auto" && mode !== "required") || !Array.isArray(tools)) {
      throw invalid("tool_choice.allowed_tools", "needs mode auto or required and a tools array");
    }
    return {
      type: "allowed_tools",
      mode,
      tools: tools.map((t, i) => {
        if (isObject(t) && t.type === "function" && isObject(t.function))
          return { type: "function", name: t.function.name };
        if (isObject(t) && t.type === "custom" && isObject(t.custom))
          return { type: "custom", name: t.custom.name };
        throw invalid(`tool_choice.allowed_tools.tools[${i}]`, "must name a function or custom tool");
      }),
    };
  }
  throw invalid("tool_choice", "must be none, auto, required or a function, custom or allowed_tools choice");
}

interface Converted {
  instructions: string[];
  input: Json[];
  fileIds: string[];
}

function convertMessages(messages: unknown): Converted {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw badRequest("messages must be a non-empty array of chat messages", "messages");
  }
  const out: Converted = { instructions: [], input: [], fileIds: [] };
  /** call id → custom tool, so the tool message answering it becomes a custom output. */
  const customCalls = new Set<string>();
  messages.forEach((message, i) => {
    const param = `messages[${i}]`;
    if (!isObject(message)) throw invalid(param, "must be a message object");
    switch (message.role) {
      case "system":
      case "developer":
        out.instructions.push(plainText(message.content, `${param}.content`));
        return;
      case "user":
        out.input.push({
          type: "message",
          role: "user",
          content: userContent(message.content, `${param}.content`, out.fileIds),
        });
        return;
      case "assistant":
        out.input.push(...assistantItems(message, param, customCalls));
        return;
      case "tool": {
        if (typeof message.tool_call_id !== "string")
          throw invalid(`${param}.tool_call_id`, "is required on tool messages");
        const output = plainText(message.content, `${param}.content`);
        const type = customCalls.has(message.tool_call_id)
          ? "custom_tool_call_output"
          : "function_call_output";
        out.input.push({ type, call_id: message.tool_call_id, output });
        return;
      }
      case "function":
        throw unsupportedParameter(
          `${param}.role`,
          "legacy function messages are not translatable; use tool messages",
        );
      default:
        throw invalid(`${param}.role`, "must be system, developer, user, assistant or tool");
    }
  });
  out.fileIds = [...new Set(out.fileIds)];
  return out;
}

function plainText(content: unknown, param: string): string {
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return "";
  if (!Array.isArray(content)) throw invalid(param, "must be a string or an array of text parts");
  return content
    .map((part, j) => {
      if (isObject(part) && part.type === "text" && typeof part.text === "string") return part.text;
      throw invalid(`${param}[${j}]`, "only text parts are allowed here");
    })
    .join("\n");
}

function userContent(content: unknown, param: string, fileIds: string[]): Json[] {
  if (typeof content === "string") return [{ type: "input_text", text: content }];
  if (!Array.isArray(content) || content.length === 0) {
    throw invalid(param, "must be a string or a non-empty array of content parts");
  }
  return content.map((part, j) => {
    const at = `${param}[${j}]`;
    if (!isObject(part)) throw invalid(at, "must be a content part object");
    switch (part.type) {
      case "text":
        if (typeof part.text !== "string") throw invalid(`${at}.text`, "must be a string");
        return { type: "input_text", text: part.text };
      case "image_url": {
        const image = part.image_url;
        const url = typeof image === "string" ? image : isObject(image) ? image.url : undefined;
        const out: Json = { type: "input_image", image_url: checkImageUrl(url, `${at}.image_url`) };
        if (isObject(image) && present(image.detail)) out.detail = image.detail;
        return out;
      }
      case "file": {
        const file = part.file;
        if (!isObject(file)) throw invalid(`${at}.file`, "must be an object");
        if (typeof file.file_id === "string") {
          fileIds.push(file.file_id);
          return { type: "input_file", file_id: file.file_id };
        }
        if (typeof file.file_data === "string") {
          return { type: "input_file", filename: file.filename ?? "file", file_data: file.file_data };
        }
        throw invalid(`${at}.file`, "needs a file_id or file_data");
      }
      case "input_audio":
        if (!isObject(part.input_audio))
          throw invalid(`${at}.input_audio`, "must be an object with data and format");
        return { type: "input_audio", input_audio: part.input_audio };
      default:
        throw invalid(`${at}.type`, "must be text, image_url, file or input_audio");
    }
  });
}

function assistantItems(message: Json, param: string, customCalls: Set<string>): Json[] {
  const items: Json[] = [];
  const content = message.content;
  const parts: string[] = [];
  if (typeof content === "string") parts.push(content);
  else if (Array.isArray(content)) {
    content.forEach((part, j) => {
      if (isObject(part) && part.type === "text" && typeof part.text === "string") parts.push(part.text);
      else if (isObject(part) && part.type === "refusal" && typeof part.refusal === "string")
        parts.push(part.refusal);
      else throw invalid(`${param}.content[${j}]`, "assistant content may only hold text or refusal parts");
    });
  } else if (present(content))
    throw invalid(`${param}.content`, "must be a string or an array of text parts");
  const textContent = parts.join("");
  if (textContent !== "") {
    items.push({ type: "message", role: "assistant", content: [{ type: "output_text", text: textContent }] });
  }
  if (present(message.tool_calls)) {
    if (!Array.isArray(message.tool_calls)) throw invalid(`${param}.tool_calls`, "must be an array");
    message.tool_calls.forEach((call, j) => {
      const at = `${param}.tool_calls[${j}]`;
      if (!isObject(call) || typeof call.id !== "string") throw invalid(at, "must be a tool call with an id");
      if (call.type === "custom" && isObject(call.custom)) {
        customCalls.add(call.id);
        items.push({
          type: "custom_tool_call",
          call_id: call.id,
          name: call.custom.name,
          input: call.custom.input ?? "",
        });
        return;
      }
      if (!isObject(call.function) || typeof call.function.name !== "string") {
        throw invalid(`${at}.function`, "must be an object with a name and arguments");
      }
      const args = call.function.arguments;
      items.push({
        type: "function_call",
        call_id: call.id,
        name: call.function.name,
        arguments: typeof args === "string" ? args : JSON.stringify(args ?? {}),
      });
    });
  }
  return items;
}

// A collected Responses object → a non-stream `chat.completion` (codex-pooler-features §2.6).
import { messageText } from "./chat-stream.ts";
import { isObject, type Json } from "./common.ts";
import { chatUsage } from "./usage-map.ts";

export function chatCompletionFrom(response: Json, requestedModel: string, nowMs: number): Json {
  const output = Array.isArray(response.output) ? response.output.filter(isObject) : [];
  const text = output
    .filter((item) => item.type === "message")
    .map(messageText)
    .join("");
  const refusal = output
    .filter((item) => item.type === "message" && Array.isArray(item.content))
    .flatMap((item) => item.content as unknown[])
    .filter((part) => isObject(part) && part.type === "refusal" && typeof part.refusal === "string")
    .map((part) => (part as Json).refusal as string)
    .join("");
  const reasoning = output
    .filter((item) => item.type === "reasoning" && Array.isArray(item.summary))
    .flatMap((item) => item.summary as unknown[])
    .map((part) => (isObject(part) && typeof part.text === "string" ? part.text : ""))
    .filter(Boolean)
    .join("\n\n");
  const toolCalls = output
    .filter((item) => item.type === "function_call" || item.type === "custom_tool_call")
    .map((item) =>
      item.type === "custom_tool_call"
        ? { id: item.call_id, type: "custom", custom: { name: item.name, input: item.input ?? "" } }
        : {
            id: item.call_id,
            type: "function",
            function: { name: item.name, arguments: item.arguments ?? "" },
          },
    );
  const incomplete = isObject(response.incomplete_details) ? response.incomplete_details.reason : undefined;
  const finishReason =
    response.status === "incomplete"
      ? incomplete === "content_filter"
        ? "content_filter"
        : "length"
      : toolCalls.length > 0
        ? "tool_calls"
        : "stop";
  const message: Json = {
    role: "assistant",
    content: text === "" && toolCalls.length > 0 ? null : text,
    refusal: refusal || null,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning) message.reasoning_content = reasoning;
  const completion: Json = {
    id: typeof response.id === "string" ? response.id : `chatcmpl-${crypto.randomUUID()}`,
    object: "chat.completion",
    created: typeof response.created_at === "number" ? response.created_at : Math.floor(nowMs / 1000),
    model: typeof response.model === "string" ? response.model : requestedModel,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
  };
  const usage = chatUsage(response.usage);
  if (usage) completion.usage = usage;
  if (typeof response.service_tier === "string") completion.service_tier = response.service_tier;
  return completion;
}

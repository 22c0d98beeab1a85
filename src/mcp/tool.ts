// One way to declare an MCP tool here: read-only annotations, a strict zod input schema, an answer
// that is structured content plus readable text, redaction on the way out, and errors that say what
// to do without echoing anything sensitive.
import type { McpServer, ToolCallback } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { Scope } from "../core/access/scope.ts";
import { GatewayError } from "../core/errors.ts";
import type { Gateway } from "../core/gateway.ts";
import { redact, redactText } from "./redact.ts";

/** What every tool may read; built per MCP request. */
export interface ToolContext {
  gw: Gateway;
  /** package.json version of this gateway. */
  version: string;
  /** Public origin of this gateway, e.g. https://pooler.example.com (no trailing slash). */
  baseUrl: string;
  /** Id of the MCP token making the call (never the secret). */
  tokenId: string;
  /** What the token may see (src/core/access/scope.ts): every tool answers only within it. */
  scope: Scope;
  /** Filled in as tools register (the instance tool reports the count). */
  toolNames: string[];
}

export interface ToolAnswer {
  /** One or two sentences an agent can quote. */
  summary: string;
  data: Record<string, unknown>;
}

export interface ToolSpec<S extends z.ZodObject> {
  name: string;
  title: string;
  /** "Use when / Returns / Never returns / Limits" in plain words. */
  description: string;
  input: S;
  run(args: z.output<S>, ctx: ToolContext): Promise<ToolAnswer>;
}

export const READ_ONLY = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
} as const;

export function registerTool<S extends z.ZodObject>(
  server: McpServer,
  ctx: ToolContext,
  spec: ToolSpec<S>,
): void {
  ctx.toolNames.push(spec.name);
  server.registerTool(
    spec.name,
    { title: spec.title, description: spec.description, inputSchema: spec.input, annotations: READ_ONLY },
    // The SDK has already validated `args` against the strict schema; its callback type is a
    // conditional over the schema that TypeScript cannot resolve for a generic S.
    (async (args: z.output<S>): Promise<CallToolResult> => {
      try {
        const answer = await spec.run(args, ctx);
        const data = redact(answer.data);
        ctx.gw.ctx.metrics.count("mcp_tool_calls", 1, { tool: spec.name, outcome: "ok" });
        return {
          content: [
            { type: "text", text: `${redactText(answer.summary)}\n\n${JSON.stringify(data, null, 2)}` },
          ],
          structuredContent: data,
        };
      } catch (error) {
        ctx.gw.ctx.metrics.count("mcp_tool_calls", 1, { tool: spec.name, outcome: "error" });
        return { content: [{ type: "text", text: toolErrorText(ctx, spec.name, error) }], isError: true };
      }
    }) as unknown as ToolCallback<S>,
  );
}

function toolErrorText(ctx: ToolContext, tool: string, error: unknown): string {
  if (error instanceof GatewayError && error.status < 500) {
    return redactText(`${error.code}: ${error.message}`);
  }
  // Metadata only: which tool, the error class; the message may carry store internals.
  ctx.gw.ctx.logger.error("mcp tool failed", {
    tool,
    error: error instanceof Error ? error.name : typeof error,
    detail: error instanceof Error ? redactText(error.message.slice(0, 200)) : undefined,
  });
  return "internal_error: the tool failed; see the gateway log and try again";
}

// Client setup help: base URLs for this gateway and config templates with placeholders, never keys.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { registerTool, type ToolContext } from "../tool.ts";

const CLIENTS = ["codex_cli", "openai_python", "openai_node", "mcp_client"] as const;
type Client = (typeof CLIENTS)[number];

interface Template {
  client: Client;
  title: string;
  file: string;
  format: string;
  content: string;
}

function templates(base: string): Template[] {
  const codexBase = `${base}/backend-api/codex`;
  const provider = (id: string, ws: boolean) =>
    [
      `[model_providers.${id}]`,
      `name = "OpenAI"                 # exactly OpenAI: enables OpenAI-family features in Codex`,
      `base_url = "${codexBase}"`,
      `env_key = "CODEX_POOLER_API_KEY"  # the Pool API key is read from this variable, never the file`,
      `wire_api = "responses"`,
      `supports_websockets = ${ws}`,
    ].join("\n");
  return [
    {
      client: "codex_cli",
      title: "Codex CLI / Desktop, HTTP + SSE provider",
      file: "$CODEX_HOME/config.toml (default ~/.codex/config.toml)",
      format: "toml",
      content: `model_provider = "codex-pooler-http"\nmodel = "gpt-5.5"\n\n${provider("codex-pooler-http", false)}\n`,
    },
    {
      client: "codex_cli",
      title: "Codex CLI / Desktop, WebSocket provider (HTTP is used where the gateway offers no WebSocket)",
      file: "$CODEX_HOME/config.toml (default ~/.codex/config.toml)",
      format: "toml",
      content: `model_provider = "codex-pooler-ws"\nmodel = "gpt-5.5"\n\n${provider("codex-pooler-ws", true)}\n`,
    },
    {
      client: "openai_python",
      title: "OpenAI Python SDK",
      file: "your program",
      format: "python",
      content: [
        "import os",
        "from openai import OpenAI",
        "",
        `client = OpenAI(base_url="${base}/v1", api_key=os.environ["CODEX_POOLER_API_KEY"])`,
        'response = client.responses.create(model="gpt-5.5", input="Say hi")',
        "print(response.output_text)",
        "",
      ].join("\n"),
    },
    {
      client: "openai_node",
      title: "OpenAI Node SDK",
      file: "your program",
      format: "typescript",
      content: [
        'import OpenAI from "openai";',
        "",
        `const client = new OpenAI({ baseURL: "${base}/v1", apiKey: process.env.CODEX_POOLER_API_KEY });`,
        'const response = await client.responses.create({ model: "gpt-5.5", input: "Say hi" });',
        "console.log(response.output_text);",
        "",
      ].join("\n"),
    },
    {
      client: "mcp_client",
      title: "This MCP server in Codex",
      file: "$CODEX_HOME/config.toml",
      format: "toml",
      content: [
        "[mcp_servers.codex_pooler]",
        `url = "${base}/mcp"`,
        'bearer_token_env_var = "CODEX_POOLER_MCP_KEY"  # an mcp-cxp-… token, never a Pool API key',
        "",
      ].join("\n"),
    },
    {
      client: "mcp_client",
      title: "This MCP server in other clients (Streamable HTTP)",
      file: "the client's MCP settings (for example .mcp.json)",
      format: "json",
      content: `${JSON.stringify(
        {
          mcpServers: {
            "codex-pooler": {
              type: "http",
              url: `${base}/mcp`,
              // biome-ignore lint/suspicious/noTemplateCurlyInString: the client expands ${VAR} itself
              headers: { Authorization: "Bearer ${CODEX_POOLER_MCP_KEY}" },
            },
          },
        },
        null,
        2,
      )}\n`,
    },
  ];
}

export function registerSetupTools(server: McpServer, ctx: ToolContext): void {
  registerTool(server, ctx, {
    name: "codex_pooler_get_client_setup",
    title: "Client setup help",
    description:
      "Use when: someone asks how to point Codex CLI, an OpenAI SDK or an MCP client at this gateway. " +
      "Returns: this gateway's base URLs and ready-to-paste config templates with placeholders (sk-cxp-<id>-<secret>, mcp-cxp-<id>-<secret>) and the environment variables to set. " +
      "Never returns: real keys or tokens; create those with `pooler key create --pool <pool>` and `pooler mcp-token create`. " +
      "Filters/limits: `client` picks one client family (default all).",
    input: z.strictObject({ client: z.enum([...CLIENTS, "all"]).default("all") }),
    async run(args) {
      const base = ctx.baseUrl;
      const chosen = templates(base).filter((t) => args.client === "all" || t.client === args.client);
      return {
        summary: `Base URL ${base}; ${chosen.length} template(s). Set CODEX_POOLER_API_KEY to a Pool API key (sk-cxp-<id>-<secret>).`,
        data: {
          baseUrls: {
            codex: `${base}/backend-api/codex`,
            openai: `${base}/v1`,
            mcp: `${base}/mcp`,
          },
          environment: [
            {
              name: "CODEX_POOLER_API_KEY",
              value: "sk-cxp-<id>-<secret>",
              howToGet: "pooler key create --pool <pool> (printed once)",
            },
            {
              name: "CODEX_POOLER_MCP_KEY",
              value: "mcp-cxp-<id>-<secret>",
              howToGet: "pooler mcp-token create (printed once)",
            },
          ],
          templates: chosen,
          notes: [
            "Never put a Pool API key in a config file; use the environment variable.",
            "An MCP token works only at /mcp, and a Pool API key never works at /mcp.",
            "Do not point Codex's chatgpt_base_url at the gateway.",
          ],
        },
      };
    },
  });
}

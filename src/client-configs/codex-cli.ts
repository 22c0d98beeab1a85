// Codex CLI / Desktop: two custom providers on the Codex backend route, key from the environment.
import { codexBase, lines, quoted } from "./text.ts";
import type { ClientTemplate, RenderInput } from "./types.ts";

function provider(id: string, input: RenderInput, websockets: boolean): string[] {
  return [
    `[model_providers.${id}]`,
    // Exactly "OpenAI" turns on Codex's OpenAI-family features (remote compaction, web search, images).
    'name = "OpenAI"',
    `base_url = ${quoted(codexBase(input))}`,
    `env_key = ${quoted(input.keyEnv)}`,
    'wire_api = "responses"',
    `supports_websockets = ${websockets}`,
  ];
}

export const codexCli: ClientTemplate = {
  id: "codex-cli",
  name: "Codex CLI",
  routes: ["codex"],
  configFile: "$CODEX_HOME/config.toml (~/.codex/config.toml)",
  doc: "docs/clients/codex-cli.md",
  render(input) {
    return [
      {
        path: "~/.codex/config.toml",
        kind: "file",
        format: "toml",
        content: lines(
          "# Codex Pooler. Switch per run with: codex -c model_provider=codex-pooler-ws",
          'model_provider = "codex-pooler-http"',
          `model = ${quoted(input.model)}`,
          "",
          "# HTTP + SSE only.",
          ...provider("codex-pooler-http", input, false),
          "",
          "# Tries a WebSocket first; Codex falls back to HTTP + SSE when the gateway declines it.",
          ...provider("codex-pooler-ws", input, true),
        ),
        note: `User-level config only ($CODEX_HOME/config.toml): a project's .codex/config.toml cannot set model providers. Codex sends $${input.keyEnv} as the bearer; do not point chatgpt_base_url at the gateway.`,
      },
      {
        path: "shell",
        kind: "snippet",
        format: "shell",
        content: lines(
          `export ${input.keyEnv}="<your Pool API key>"`,
          'codex exec --skip-git-repo-check "Say hi" </dev/null',
        ),
        note: "Put the Pool API key in the environment, never in config.toml.",
      },
    ];
  },
};

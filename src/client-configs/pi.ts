// Pi and OMP (Oh My Pi): a custom provider whose `api` picks the route family.
import { codexBase, json, lines, quoted, v1Base } from "./text.ts";
import type { ClientTemplate, RenderInput, RouteFamily } from "./types.ts";

const PI_APIS: Record<RouteFamily, string> = {
  chat: "openai-completions",
  responses: "openai-responses",
  codex: "openai-codex-responses",
};

function baseUrl(input: RenderInput): string {
  return input.route === "codex" ? codexBase(input) : v1Base(input);
}

export const pi: ClientTemplate = {
  id: "pi",
  name: "Pi (pi coding agent)",
  // Pi's openai-codex-responses mode reads a ChatGPT account id out of the key (a JWT), so it
  // cannot use a Pool API key.
  routes: ["responses", "chat"],
  configFile: "~/.pi/agent/models.json, ~/.pi/agent/settings.json",
  doc: "docs/clients/pi.md",
  render(input) {
    return [
      {
        path: "~/.pi/agent/models.json",
        kind: "file",
        format: "json",
        content: json({
          providers: {
            "codex-pooler": {
              baseUrl: baseUrl(input),
              api: PI_APIS[input.route],
              // An environment variable name: Pi reads the key from it at request time.
              apiKey: input.keyEnv,
              authHeader: true,
              models: [{ id: input.model, name: `${input.model} (Codex Pooler)`, reasoning: true }],
            },
          },
        }),
        note: `apiKey names the environment variable ($${input.keyEnv}); Pi sends it as Authorization: Bearer.`,
      },
      {
        path: "~/.pi/agent/settings.json",
        kind: "file",
        format: "json",
        content: json({
          defaultProvider: "codex-pooler",
          defaultModel: input.model,
          enableInstallTelemetry: false,
        }),
        note: "Makes the gateway model the default; merge into an existing settings.json.",
      },
    ];
  },
};

export const omp: ClientTemplate = {
  id: "omp",
  name: "OMP (Oh My Pi)",
  routes: ["responses", "chat", "codex"],
  configFile: "~/.omp/agent/models.yml",
  doc: "docs/clients/omp.md",
  render(input) {
    return [
      {
        path: "~/.omp/agent/models.yml",
        kind: "file",
        format: "yaml",
        content: lines(
          "providers:",
          "  codex-pooler:",
          `    baseUrl: ${quoted(baseUrl(input))}`,
          `    api: ${PI_APIS[input.route]}`,
          "    # The name of the environment variable that holds the Pool API key.",
          `    apiKey: ${input.keyEnv}`,
          "    authHeader: true",
          "    models:",
          `      - id: ${quoted(input.model)}`,
          `        name: ${quoted(`${input.model} (Codex Pooler)`)}`,
        ),
        note: `Select it with --model codex-pooler/${input.model} (or /model in a session).`,
      },
    ];
  },
};

// Every rendered client config parses with a real parser (TOML, YAML, JSON, JSONC, shell, Python,
// JavaScript), points at the route family it claims, and never carries a key.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { type ParseError, parse as parseJsonc } from "jsonc-parser";
import { parse as parseToml } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  CLIENT_TEMPLATES,
  type ClientConfig,
  ClientConfigError,
  type ClientConfigFile,
  type RouteFamily,
  renderClientConfig,
} from "../src/client-configs/index.ts";
import { consoleRoutes } from "../src/console/routes.ts";
import { runPooler } from "./helpers/cli.ts";
import { REPO_ROOT, scratchDir } from "./helpers/gateway.ts";

const PUBLIC_URL = "https://codex-pooler.example.com";
const LOCAL_URL = "http://localhost:4000";
const KEY_ENV = "MY_POOL_KEY";
// Planted in the environment while rendering: templates must never read or echo a key.
const PLANTED_KEY = "sk-cxp-0123456789ab-PlantedSecretValueThatMustNeverAppear";

let scratch: string;
const savedEnv = { ...process.env };
beforeAll(() => {
  scratch = scratchDir("client-configs");
  process.env.CODEX_POOLER_API_KEY = PLANTED_KEY;
  process.env[KEY_ENV] = PLANTED_KEY;
  process.env.OPENAI_API_KEY = PLANTED_KEY;
});
afterAll(() => {
  process.env = savedEnv;
  rmSync(scratch, { recursive: true, force: true });
});

function checkSyntax(command: string, args: string[], input: string): void {
  const result = spawnSync(command, args, { input, encoding: "utf8" });
  expect(result.error).toBeUndefined();
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
}

let fileSeq = 0;
/** Parses one file with the parser for its format; returns the parsed value (text for code). */
function parseFile(file: ClientConfigFile): unknown {
  switch (file.format) {
    case "toml":
      return parseToml(file.content);
    case "yaml":
      return parseYaml(file.content, { strict: true, uniqueKeys: true, prettyErrors: true });
    case "json":
      return JSON.parse(file.content);
    case "jsonc": {
      const errors: ParseError[] = [];
      const value = parseJsonc(file.content, errors, { allowTrailingComma: false });
      expect(errors).toEqual([]);
      return value;
    }
    case "env": {
      const entries = file.content
        .split("\n")
        .filter((line) => line.trim() !== "" && !line.startsWith("#"))
        .map((line) => {
          const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
          expect(match, `env line: ${line}`).not.toBeNull();
          return [match![1], match![2]] as const;
        });
      return Object.fromEntries(entries);
    }
    case "shell":
      checkSyntax("bash", ["-n"], file.content);
      return file.content;
    case "python":
      checkSyntax("python3", ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], file.content);
      return file.content;
    case "javascript": {
      const path = join(scratch, `check-${++fileSeq}.mjs`);
      writeFileSync(path, file.content);
      const result = spawnSync(process.execPath, ["--check", path], { encoding: "utf8" });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      return file.content;
    }
  }
}

function parsedFiles(config: ClientConfig): Map<string, unknown> {
  return new Map(config.files.map((file) => [file.path, parseFile(file)]));
}

/** What a client is pointed at, read back out of its parsed config: base URL, wire protocol, key reference. */
interface Target {
  baseUrl: string;
  /** The client's own name for the wire protocol. */
  wire: string;
  keyRef: string;
}

type Extractor = (files: Map<string, any>, config: ClientConfig) => Target;

function shellValue(script: string, pattern: RegExp): string {
  const match = pattern.exec(script);
  expect(match, `pattern ${pattern} in:\n${script}`).not.toBeNull();
  return match![1]!;
}

const EXTRACT: Record<string, Extractor> = {
  "codex-cli": (files) => {
    const toml = files.get("~/.codex/config.toml");
    const http = toml.model_providers["codex-pooler-http"];
    const ws = toml.model_providers["codex-pooler-ws"];
    expect(toml.model_provider).toBe("codex-pooler-http");
    expect(http).toMatchObject({ name: "OpenAI", wire_api: "responses", supports_websockets: false });
    expect(ws).toMatchObject({ name: "OpenAI", wire_api: "responses", supports_websockets: true });
    expect(ws.base_url).toBe(http.base_url);
    expect(ws.env_key).toBe(http.env_key);
    return { baseUrl: http.base_url, wire: "responses", keyRef: http.env_key };
  },
  "openai-compatible": (files) => {
    const py = files.get("codex_pooler_example.py") as string;
    const js = files.get("codex-pooler-example.mjs") as string;
    const sh = files.get("shell") as string;
    const baseUrl = shellValue(py, /base_url="([^"]+)"/);
    expect(shellValue(js, /baseURL: "([^"]+)"/)).toBe(baseUrl);
    expect(shellValue(sh, /OPENAI_BASE_URL="([^"]+)"/)).toBe(baseUrl);
    const wire = py.includes("client.chat.completions.create") ? "chat" : "responses";
    expect(js.includes("client.chat.completions.create")).toBe(wire === "chat");
    const keyRef = shellValue(py, /os\.environ\["([^"]+)"\]/);
    expect(shellValue(js, /process\.env\["([^"]+)"\]/)).toBe(keyRef);
    return { baseUrl, wire, keyRef };
  },
  aider: (files) => {
    const conf = files.get("~/.aider.conf.yml");
    expect(conf.model).toBe("openai/gpt-5.5");
    expect(conf).not.toHaveProperty("openai-api-key");
    const keyRef = shellValue(files.get("shell"), /OPENAI_API_KEY="\$([A-Za-z_0-9]+)"/);
    return { baseUrl: conf["openai-api-base"], wire: "litellm-openai", keyRef };
  },
  continue: (files) => {
    const [model, ...rest] = files.get("~/.continue/config.yaml").models;
    expect(rest).toEqual([]);
    expect(model.provider).toBe("openai");
    const keyRef = shellValue(model.apiKey, /^\$\{\{ secrets\.([A-Za-z_0-9]+) \}\}$/);
    expect(Object.keys(files.get("~/.continue/.env"))).toEqual([keyRef]);
    return { baseUrl: model.apiBase, wire: model.useResponsesApi === false ? "chat" : "responses", keyRef };
  },
  cline: (files) => {
    const sh = files.get("shell") as string;
    const provider = shellValue(sh, /cline auth --provider (\S+)/);
    expect(shellValue(sh, /cline -P (\S+)/)).toBe(provider);
    return {
      baseUrl: shellValue(sh, /--baseurl "([^"]+)"/),
      wire: provider,
      keyRef: shellValue(sh, /--apikey "\$([A-Za-z_0-9]+)"/),
    };
  },
  goose: (files) => {
    const conf = files.get("~/.config/goose/config.yaml");
    expect(conf.GOOSE_PROVIDER).toBe("openai");
    expect(conf.OPENAI_BASE_PATH).toBe("v1/chat/completions");
    // Goose joins host and path; the result must be the chat completions route.
    const endpoint = `${conf.OPENAI_HOST}/${conf.OPENAI_BASE_PATH}`;
    return {
      baseUrl: endpoint.replace(/\/chat\/completions$/, ""),
      wire: "openai",
      keyRef: shellValue(files.get("shell"), /OPENAI_API_KEY="\$([A-Za-z_0-9]+)"/),
    };
  },
  kilo: (files) => aiSdkTarget(files.get("~/.config/kilo/kilo.jsonc")),
  opencode: (files) => {
    const conf = files.get("~/.config/opencode/opencode.json");
    expect(conf.$schema).toBe("https://opencode.ai/config.json");
    return aiSdkTarget(conf);
  },
  openclaw: (files) => {
    const conf = files.get("~/.openclaw/openclaw.json");
    const provider = conf.models.providers["codex-pooler"];
    expect(conf.agents.defaults.model.primary).toBe("codex-pooler/gpt-5.5");
    return {
      baseUrl: provider.baseUrl,
      wire: provider.api,
      keyRef: shellValue(provider.apiKey, /^\$\{([A-Za-z_0-9]+)\}$/),
    };
  },
  openhands: (files) => {
    const sh = files.get("shell") as string;
    expect(shellValue(sh, /LLM_MODEL="([^"]+)"/)).toBe("openai/gpt-5.5");
    expect(sh).toContain("--override-with-envs");
    return {
      baseUrl: shellValue(sh, /LLM_BASE_URL="([^"]+)"/),
      wire: "litellm-openai",
      keyRef: shellValue(sh, /LLM_API_KEY="\$([A-Za-z_0-9]+)"/),
    };
  },
  omp: (files) => piTarget(files.get("~/.omp/agent/models.yml")),
  pi: (files) => {
    expect(files.get("~/.pi/agent/settings.json")).toEqual({
      defaultProvider: "codex-pooler",
      defaultModel: "gpt-5.5",
      enableInstallTelemetry: false,
    });
    return piTarget(files.get("~/.pi/agent/models.json"));
  },
  hermes: (files) => {
    const conf = files.get("~/.hermes/config.yaml");
    const [provider, ...rest] = conf.custom_providers;
    expect(rest).toEqual([]);
    expect(conf.model).toEqual({ provider: `custom:${provider.name}`, default: "gpt-5.5" });
    return { baseUrl: provider.base_url, wire: provider.api_mode, keyRef: provider.key_env };
  },
  windmill: (files) => {
    const resource = files.get("codex-pooler.customai.resource.json");
    expect(Object.keys(resource).sort()).toEqual(["api_key", "base_url"]);
    return {
      baseUrl: resource.base_url,
      wire: "customai",
      keyRef: shellValue(resource.api_key, /^\$var:u\/admin\/([a-z_0-9]+)$/).toUpperCase(),
    };
  },
};

function aiSdkTarget(conf: any): Target {
  const provider = conf.provider["codex-pooler"];
  expect(conf.model).toBe("codex-pooler/gpt-5.5");
  expect(Object.keys(provider.models)).toEqual(["gpt-5.5"]);
  return {
    baseUrl: provider.options.baseURL,
    wire: provider.npm,
    keyRef: shellValue(provider.options.apiKey, /^\{env:([A-Za-z_0-9]+)\}$/),
  };
}

function piTarget(conf: any): Target {
  const provider = conf.providers["codex-pooler"];
  expect(provider.authHeader).toBe(true);
  expect(provider.models.map((m: { id: string }) => m.id)).toEqual(["gpt-5.5"]);
  return { baseUrl: provider.baseUrl, wire: provider.api, keyRef: provider.apiKey };
}

/** The wire protocol each client must be configured with, per route family. */
const WIRE: Record<string, Partial<Record<RouteFamily, string>>> = {
  "codex-cli": { codex: "responses" },
  "openai-compatible": { chat: "chat", responses: "responses" },
  aider: { chat: "litellm-openai" },
  continue: { chat: "chat", responses: "responses" },
  cline: { chat: "openai", responses: "openai-native" },
  goose: { chat: "openai" },
  kilo: { chat: "@ai-sdk/openai-compatible", responses: "@ai-sdk/openai" },
  opencode: { chat: "@ai-sdk/openai-compatible", responses: "@ai-sdk/openai" },
  openclaw: { chat: "openai-completions", responses: "openai-responses" },
  openhands: { chat: "litellm-openai" },
  omp: { chat: "openai-completions", responses: "openai-responses", codex: "openai-codex-responses" },
  pi: { chat: "openai-completions", responses: "openai-responses" },
  hermes: { chat: "chat_completions", responses: "codex_responses" },
  windmill: { chat: "customai" },
};

const cases = CLIENT_TEMPLATES.flatMap((template) =>
  template.routes.flatMap((route) =>
    [LOCAL_URL, PUBLIC_URL].map((url) => ({ client: template.id, route, url })),
  ),
);

describe("rendered client configs", () => {
  it("covers every client the issue lists, each with a documented route table entry", () => {
    expect(CLIENT_TEMPLATES.map((t) => t.id).sort()).toEqual(Object.keys(WIRE).sort());
    for (const template of CLIENT_TEMPLATES) {
      expect(Object.keys(WIRE[template.id]!).sort()).toEqual([...template.routes].sort());
      expect(existsSync(join(REPO_ROOT, template.doc)), template.doc).toBe(true);
    }
  });

  it.each(cases)(
    "$client on $route at $url parses and targets its route family",
    ({ client, route, url }) => {
      const config = renderClientConfig(client, { url, keyEnv: KEY_ENV, route });
      expect(config.route).toBe(route);
      const expectedBase = route === "codex" ? `${url}/backend-api/codex` : `${url}/v1`;
      expect(config.baseUrl).toBe(expectedBase);

      const target = EXTRACT[client]!(parsedFiles(config), config);
      expect(target.baseUrl).toBe(expectedBase);
      expect(target.wire).toBe(WIRE[client]![route]);
      expect(target.keyRef).toBe(KEY_ENV);

      for (const file of config.files) {
        expect(file.note.length).toBeGreaterThan(10);
        // No key of any kind, nor the one planted in the environment.
        expect(file.content).not.toContain(PLANTED_KEY);
        expect(file.content).not.toMatch(/(sk|mcp|adm)-cxp-/);
        expect(file.content).not.toMatch(/Bearer\s/);
        expect(file.note).not.toContain(PLANTED_KEY);
      }
    },
  );

  it("uses the client's own default route family when none is asked for", () => {
    for (const template of CLIENT_TEMPLATES) {
      expect(renderClientConfig(template.id).route).toBe(template.routes[0]);
    }
    expect(renderClientConfig("codex-cli").baseUrl).toBe(`${LOCAL_URL}/backend-api/codex`);
    expect(renderClientConfig("pi").baseUrl).toBe(`${LOCAL_URL}/v1`);
  });

  it("accepts a base URL pasted with its API suffix or a trailing slash", () => {
    for (const url of [
      `${PUBLIC_URL}/`,
      `${PUBLIC_URL}/v1`,
      `${PUBLIC_URL}/v1/`,
      `${PUBLIC_URL}/backend-api/codex`,
    ]) {
      expect(renderClientConfig("opencode", { url }).baseUrl).toBe(`${PUBLIC_URL}/v1`);
    }
    expect(renderClientConfig("omp", { url: "https://example.com/pooler/", route: "codex" }).baseUrl).toBe(
      "https://example.com/pooler/backend-api/codex",
    );
  });

  it("rejects options it cannot render safely, with OpenAI-shaped 400s", () => {
    const failures: [string, Parameters<typeof renderClientConfig>[1], string][] = [
      ["nope", {}, "client"],
      ["pi", { route: "codex" }, "route"],
      ["aider", { route: "responses" }, "route"],
      ["pi", { keyEnv: PLANTED_KEY }, "key_env"],
      ["pi", { keyEnv: "1BAD" }, "key_env"],
      ["pi", { url: "ftp://example.com" }, "url"],
      ["pi", { url: "localhost:4000" }, "url"],
      ["pi", { url: `https://user:${PLANTED_KEY}@example.com` }, "url"],
      ["pi", { url: `https://example.com/?key=${PLANTED_KEY}` }, "url"],
      ["pi", { model: "gpt 5" }, "model"],
    ];
    for (const [client, options, param] of failures) {
      let caught: any;
      try {
        renderClientConfig(client, options);
      } catch (err) {
        caught = err;
      }
      expect(caught, `${client} ${JSON.stringify(options)}`).toBeInstanceOf(ClientConfigError);
      expect(caught.param, `${client} ${JSON.stringify(options)}`).toBe(param);
      expect(caught.message).not.toContain(PLANTED_KEY);
    }
  });
});

function pooler(args: string[], env: Record<string, string> = {}) {
  return runPooler(args, { env });
}

describe("pooler client-config", () => {
  it("prints each file under a path comment, for the URL given after the command", async () => {
    const result = await pooler(["client-config", "pi", "--url", PUBLIC_URL, "--route", "chat"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("// ==> ~/.pi/agent/models.json\n");
    expect(result.stdout).toContain("// ==> ~/.pi/agent/settings.json\n");
    expect(result.stdout).toContain(`"baseUrl": "${PUBLIC_URL}/v1"`);
    expect(result.stdout).toContain('"api": "openai-completions"');
    expect(result.stdout).toContain("/v1/chat/completions");
  });

  it("takes the gateway URL from POOLER_URL and the key variable from --key-env", async () => {
    const result = await pooler(["client-config", "codex-cli", "--key-env", KEY_ENV], {
      POOLER_URL: "http://127.0.0.1:4555",
      CODEX_POOLER_API_KEY: PLANTED_KEY,
    });
    expect(result.code).toBe(0);
    const toml = result.stdout.split("# ==> ~/.codex/config.toml\n")[1]!.split("\n# ==> ")[0]!;
    const parsed = parseToml(toml) as any;
    expect(parsed.model_providers["codex-pooler-ws"]).toMatchObject({
      base_url: "http://127.0.0.1:4555/backend-api/codex",
      env_key: KEY_ENV,
    });
    expect(result.stdout).not.toContain(PLANTED_KEY);
  });

  it("prints the structured config with --json", async () => {
    const result = await pooler([
      "--json",
      "client-config",
      "kilo",
      "--route",
      "responses",
      "--model",
      "gpt-5.6-terra",
    ]);
    expect(result.code).toBe(0);
    const config = JSON.parse(result.stdout) as ClientConfig;
    expect(config).toMatchObject({ client: "kilo", route: "responses", model: "gpt-5.6-terra" });
    const kilo = parseJsonc(config.files[0]!.content);
    expect(kilo.model).toBe("codex-pooler/gpt-5.6-terra");
  });

  it("lists the clients when none is named", async () => {
    const result = await pooler(["client-config"]);
    expect(result.code).toBe(0);
    for (const template of CLIENT_TEMPLATES)
      expect(result.stdout).toMatch(new RegExp(`^${template.id}\\s`, "m"));
    const json = await pooler(["--json", "client-config"]);
    expect(json.code).toBe(0);
    const { data } = JSON.parse(json.stdout) as { data: { id: string; routes: string[]; doc: string }[] };
    expect(data.map((c) => c.id)).toEqual(CLIENT_TEMPLATES.map((t) => t.id));
    expect(data.find((c) => c.id === "omp")).toMatchObject({
      routes: ["responses", "chat", "codex"],
      doc: "docs/clients/omp.md",
    });
  });

  it("fails with one error line for an unknown client or an unsupported route", async () => {
    const unknown = await pooler(["client-config", "nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toMatch(/^error: unknown client "nope"; choose one of: codex-cli, .*\n$/);
    const route = await pooler(["client-config", "aider", "--route", "responses"]);
    expect(route.code).toBe(1);
    expect(route.stderr).toBe("error: Aider cannot use the responses route family; it supports: chat\n");
    const bad = await pooler(["client-config", "pi", "--route", "grpc"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("Must be one of: chat, responses, codex.");
  });
});

describe("the documented client name openai-compatible", () => {
  it("prints a ready config, and openai-sdk stays an alias for the same client", async () => {
    const documented = await pooler(["client-config", "openai-compatible"]);
    expect(documented).toMatchObject({ code: 0, stderr: "" });
    expect(documented.stdout).toContain("# OpenAI-compatible SDKs (Python, Node): /v1/responses at ");
    expect(documented.stdout).toContain("# ==> codex_pooler_example.py\n");
    expect(documented.stdout).toContain('base_url="http://localhost:4000/v1"');
    expect(await pooler(["client-config", "openai-sdk"])).toEqual(documented);
    const json = await pooler(["--json", "client-config", "OpenAI-SDK", "--route", "chat"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ client: "openai-compatible", route: "chat" });
    const list = await pooler(["client-config"]);
    expect(list.stdout).toMatch(/^openai-compatible\s/m);
    expect(list.stdout).toContain("Also accepted: openai-sdk = openai-compatible");
  });

  it("is the client the console's setup page picks for either name", async () => {
    const app = consoleRoutes();
    for (const name of ["openai-compatible", "openai-sdk"]) {
      const res = await app.request(`/clients?client=${name}`);
      expect(res.status).toBe(200);
      const page = await res.text();
      expect(page).toContain('<option value="openai-compatible" selected>');
      expect(page).toContain("OPENAI_BASE_URL");
      expect(page).toContain("docs/clients/openai-compatible.md");
    }
  });
});

/** The fenced code blocks of a Markdown page, de-indented (blocks inside list items included). */
function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^( *)```[^\n]*\n([\s\S]*?)^\1```$/gm)].map(([, indent, body]) =>
    body!
      .split("\n")
      .map((line) => (line.startsWith(indent!) ? line.slice(indent!.length) : line))
      .join("\n"),
  );
}

/** JSON files may differ in layout only: Biome formats the JSON code blocks of Markdown pages. */
function sameJson(file: ClientConfigFile, block: string): boolean {
  if (file.format !== "json" && file.format !== "jsonc") return false;
  const errors: ParseError[] = [];
  const shown = parseJsonc(block, errors);
  return errors.length === 0 && isDeepStrictEqual(shown, parseJsonc(file.content));
}

describe("docs/clients", () => {
  const pages = readdirSync(join(REPO_ROOT, "docs/clients")).filter(
    (f) => f.endsWith(".md") && f !== "README.md",
  );

  it("has one page per client, each listed in the index", () => {
    expect(pages.map((f) => `docs/clients/${f}`).sort()).toEqual(CLIENT_TEMPLATES.map((t) => t.doc).sort());
    const index = readFileSync(join(REPO_ROOT, "docs/clients/README.md"), "utf8");
    for (const template of CLIENT_TEMPLATES)
      expect(index).toContain(`](${template.doc.slice("docs/clients/".length)})`);
  });

  it.each(CLIENT_TEMPLATES.map((t) => ({ client: t.id, doc: t.doc, routes: t.routes })))(
    "$doc shows exactly what pooler client-config $client prints",
    async ({ client, doc, routes }) => {
      const page = readFileSync(join(REPO_ROOT, doc), "utf8");
      const blocks = codeBlocks(page);
      expect(page).toContain(`pooler client-config ${client}`);
      // Every file and snippet of the default output, verbatim, in one of the page's code blocks.
      const printed = await pooler(["--json", "client-config", client]);
      expect(printed.code).toBe(0);
      const config = JSON.parse(printed.stdout) as ClientConfig;
      for (const file of config.files) {
        const text = file.content.trimEnd();
        expect(
          blocks.some((block) => block.includes(text) || sameJson(file, block)),
          `${doc} lacks ${file.path} as printed:\n${text}`,
        ).toBe(true);
      }
      // The other route families are named with the flag that prints them.
      for (const route of routes.slice(1)) expect(page).toContain(`--route ${route}`);
    },
  );
});

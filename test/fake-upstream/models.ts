/** `/backend-api/codex/models` catalog in the §9.6 shape. */

const LEVELS = [
  { effort: "low", description: "Fast responses with lighter reasoning" },
  { effort: "medium", description: "Balances speed and reasoning depth" },
  { effort: "high", description: "Greater reasoning depth for complex problems" },
];

function model(slug: string, displayName: string, priority: number, minimalClientVersion: string) {
  return {
    slug,
    display_name: displayName,
    description: `${displayName} (fake upstream)`,
    default_reasoning_level: "medium",
    supported_reasoning_levels: LEVELS,
    shell_type: "shell_command",
    visibility: "list",
    supported_in_api: true,
    priority,
    minimal_client_version: minimalClientVersion,
    context_window: 272000,
    max_context_window: 272000,
    auto_compact_token_limit: null,
    effective_context_window_percent: 95,
    truncation_policy: { mode: "tokens", limit: 10000 },
    supports_parallel_tool_calls: true,
    supports_reasoning_summaries: true,
    support_verbosity: true,
    default_verbosity: "low",
    apply_patch_tool_type: "freeform",
    input_modalities: ["text", "image"],
    prefer_websockets: true,
    use_responses_lite: false,
    base_instructions: "You are Codex, a coding agent (fake upstream).",
    experimental_supported_tools: [],
  };
}

const MODELS = [
  model("gpt-5.5", "GPT-5.5", 1, "0.124.0"),
  model("gpt-5.4-mini", "GPT-5.4-Mini", 2, "0.98.0"),
];

function parseVersion(v: string): number[] | undefined {
  const parts = v.split("-")[0]?.split(".").map(Number);
  return parts && parts.length > 0 && parts.every((p) => Number.isInteger(p) && p >= 0) ? parts : undefined;
}

function versionAtLeast(have: number[], need: number[]): boolean {
  for (let i = 0; i < Math.max(have.length, need.length); i++) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** Like upstream, hide models whose minimal_client_version is above the caller's client_version. */
export function modelsBody(clientVersion: string | undefined): { models: ReturnType<typeof model>[] } {
  const have = clientVersion === undefined ? undefined : parseVersion(clientVersion);
  if (!have) return { models: MODELS };
  return {
    models: MODELS.filter((m) => {
      const need = parseVersion(m.minimal_client_version);
      return need === undefined || versionAtLeast(have, need);
    }),
  };
}

// GET /v1/usage: the calling key's requests and tokens by UTC day and model, read from its request
// logs (bounded: at most MAX_ROWS rows; `truncated` says when the cap was hit). A rollup can
// replace the scan later without changing the answer's shape.
import type { CoreContext } from "../context.ts";
import type { RequestLog } from "../model.ts";
import type { Json } from "./common.ts";

const DAY_MS = 86_400_000;
const PAGE = 1000;
const MAX_ROWS = 20_000;

export interface UsageRange {
  /** Epoch ms, inclusive, at a UTC day start. */
  startMs: number;
  /** Epoch ms, exclusive. */
  endMs: number;
}

interface Totals {
  requests: number;
  errors: number;
  input: number;
  cached: number;
  output: number;
  reasoning: number;
  total: number;
}

export async function keyUsage(ctx: CoreContext, keyId: string, range: UsageRange): Promise<Json> {
  const byDay = new Map<number, Map<string, Totals>>();
  let cursor: string | undefined;
  let rows = 0;
  let truncated = false;
  scan: for (;;) {
    const page = await ctx.store.requestLogs.list({ keyId, limit: PAGE, cursor });
    for (const row of page.items) {
      if (row.at < range.startMs) break scan; // newest first: everything after is older
      if (row.at >= range.endMs) continue;
      add(byDay, row);
      if (++rows >= MAX_ROWS) {
        truncated = true;
        break scan;
      }
    }
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  const data: Json[] = [];
  for (let day = range.startMs; day < range.endMs; day += DAY_MS) {
    const models = byDay.get(day) ?? new Map<string, Totals>();
    data.push({
      object: "bucket",
      start_time: day / 1000,
      end_time: Math.min(day + DAY_MS, range.endMs) / 1000,
      results: [...models.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([model, t]) => ({
          object: "usage.result",
          model: model === "" ? null : model,
          num_model_requests: t.requests,
          num_errors: t.errors,
          input_tokens: t.input,
          input_cached_tokens: t.cached,
          output_tokens: t.output,
          output_reasoning_tokens: t.reasoning,
          total_tokens: t.total,
        })),
    });
  }
  return {
    object: "page",
    key_id: keyId,
    plan_type: "api_key",
    start_time: range.startMs / 1000,
    end_time: range.endMs / 1000,
    data,
    has_more: false,
    next_page: null,
    truncated,
  };
}

function add(byDay: Map<number, Map<string, Totals>>, row: RequestLog): void {
  const day = Math.floor(row.at / DAY_MS) * DAY_MS;
  let models = byDay.get(day);
  if (!models) {
    models = new Map();
    byDay.set(day, models);
  }
  const key = row.model ?? "";
  let t = models.get(key);
  if (!t) {
    t = { requests: 0, errors: 0, input: 0, cached: 0, output: 0, reasoning: 0, total: 0 };
    models.set(key, t);
  }
  t.requests++;
  if (row.status >= 400 || row.errorCode) t.errors++;
  const u = row.usage;
  if (u) {
    t.input += u.inputTokens;
    t.cached += u.cachedTokens;
    t.output += u.outputTokens;
    t.reasoning += u.reasoningTokens;
    t.total += u.totalTokens;
  }
}

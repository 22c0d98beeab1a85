// GET /v1/usage: the calling key's requests and tokens by UTC day and model, read from the daily
// usage rollups (src/core/usage/), which count every request-log row as it is written. Buckets are
// whole UTC days: a range ending mid-day counts that whole day.
import type { CoreContext } from "../context.ts";
import type { RollupCounts } from "../usage/model.ts";
import { addCounts, dayOf, readRollups } from "../usage/rollups.ts";
import type { Json } from "./common.ts";

const DAY_MS = 86_400_000;

export interface UsageRange {
  /** Epoch ms, inclusive, at a UTC day start. */
  startMs: number;
  /** Epoch ms, exclusive. */
  endMs: number;
}

export async function keyUsage(ctx: CoreContext, keyId: string, range: UsageRange): Promise<Json> {
  const rollups = await readRollups(
    ctx,
    { fromDay: dayOf(range.startMs), toDay: dayOf(range.endMs - 1) },
    { dimension: "key", keyId },
  );
  const byDay = new Map<string, Map<string, RollupCounts>>();
  for (const rollup of rollups) {
    let models = byDay.get(rollup.day);
    if (!models) {
      models = new Map();
      byDay.set(rollup.day, models);
    }
    const seen = models.get(rollup.model);
    models.set(rollup.model, seen ? addCounts(seen, rollup.counts) : { ...rollup.counts });
  }
  const data: Json[] = [];
  for (let day = range.startMs; day < range.endMs; day += DAY_MS) {
    const models = byDay.get(dayOf(day)) ?? new Map<string, RollupCounts>();
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
          input_tokens: t.inputTokens,
          input_cached_tokens: t.cachedTokens,
          output_tokens: t.outputTokens,
          output_reasoning_tokens: t.reasoningTokens,
          total_tokens: t.totalTokens,
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
    // Rollups are exact and complete; kept for clients of the earlier, scan-based answer.
    truncated: false,
  };
}

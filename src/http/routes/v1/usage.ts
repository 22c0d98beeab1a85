// GET /v1/usage: the calling key's requests and tokens by UTC day and model (last 30 days at most).
import { Hono } from "hono";
import { badRequest } from "../../../core/errors.ts";
import type { Gateway } from "../../../core/gateway.ts";
import { unsupportedParameter } from "../../../core/openai/common.ts";
import { keyUsage } from "../../../core/openai/usage.ts";
import type { AppEnv } from "../../types.ts";

const DAY_MS = 86_400_000;
const MAX_DAYS = 31;
const QUERY = new Set(["start_time", "end_time", "bucket_width"]);

export function usageRoutes(gw: Gateway) {
  return new Hono<AppEnv>().get("/v1/usage", async (c) => {
    const query = c.req.query();
    for (const key of Object.keys(query)) if (!QUERY.has(key)) throw unsupportedParameter(key);
    if (query.bucket_width !== undefined && query.bucket_width !== "1d") {
      throw badRequest("bucket_width must be 1d", "bucket_width");
    }
    const now = gw.ctx.clock.now();
    const endMs = query.end_time !== undefined ? seconds(query.end_time, "end_time") * 1000 : now;
    const defaultStart = Math.floor(now / DAY_MS) * DAY_MS - (MAX_DAYS - 1) * DAY_MS;
    const rawStart =
      query.start_time !== undefined ? seconds(query.start_time, "start_time") * 1000 : defaultStart;
    const startMs = Math.floor(rawStart / DAY_MS) * DAY_MS;
    if (endMs <= startMs) throw badRequest("end_time must be after start_time", "end_time");
    if (endMs - startMs > MAX_DAYS * DAY_MS) {
      throw badRequest(`the range may span at most ${MAX_DAYS} days`, "start_time");
    }
    return c.json(await keyUsage(gw.ctx, c.get("key").id, { startMs, endMs }));
  });
}

function seconds(value: string, param: string): number {
  if (!/^\d{1,12}$/.test(value)) throw badRequest(`${param} must be a Unix time in seconds`, param);
  return Number(value);
}

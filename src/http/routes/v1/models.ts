// GET /v1/models (and one model by id) from the Pool's Codex catalog.
import { Hono } from "hono";
import { GatewayError } from "../../../core/errors.ts";
import type { Gateway } from "../../../core/gateway.ts";
import { codexModels, openaiModel } from "../../../core/openai/models.ts";
import type { AppEnv } from "../../types.ts";

export function modelRoutes(gw: Gateway) {
  const catalog = async (pool: string) => {
    const fetched = await gw.models.get(pool);
    return { models: codexModels(fetched.body), created: Math.floor(fetched.fetchedAt / 1000) };
  };
  return new Hono<AppEnv>()
    .get("/v1/models", async (c) => {
      const { models, created } = await catalog(c.get("pool").name);
      return c.json({ object: "list", data: models.map((m) => openaiModel(m, created)) });
    })
    .get("/v1/models/:model", async (c) => {
      const { models, created } = await catalog(c.get("pool").name);
      const model = models.find((m) => m.slug === c.req.param("model"));
      if (!model) {
        throw new GatewayError(
          404,
          "model_not_found",
          "model is not available for this pool; see GET /v1/models",
          {
            param: "model",
          },
        );
      }
      return c.json(openaiModel(model, created));
    });
}

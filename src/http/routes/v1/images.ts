// Images: OpenAI /v1/images/{generations,edits} become one Responses turn with the hosted
// image_generation tool; the native /backend-api/codex/images/* routes are relayed as is. All of
// them sit behind the Pool's image switch, checked before the body is read.

import type { Context } from "hono";
import { Hono } from "hono";
import { GatewayError } from "../../../core/errors.ts";
import type { Gateway } from "../../../core/gateway.ts";
import { collectResponse } from "../../../core/openai/collect.ts";
import type { Json } from "../../../core/openai/common.ts";
import { failureResponse } from "../../../core/openai/errors.ts";
import { type ImageRequest, imagesResult, imagesToCodex } from "../../../core/openai/images.ts";
import { codexModels, defaultModel } from "../../../core/openai/models.ts";
import { startTurn } from "../../../core/openai/turn.ts";
import { readBody } from "../../body.ts";
import { poolKeyAuth } from "../../middleware/pool-key-auth.ts";
import type { AppEnv } from "../../types.ts";
import { bridge, relayAnswer } from "./bridge.ts";
import { imageGate, jsonObject, multipartForm } from "./request.ts";

const IMAGES_MAX_BYTES = 50 * 1024 * 1024;
const FALLBACK_HOST_MODEL = "gpt-5.5";

export function imageRoutes(gw: Gateway) {
  const app = new Hono<AppEnv>();

  const generate = async (
    c: Context<AppEnv>,
    route: string,
    request: ImageRequest,
    kind: "generation" | "edit",
  ) => {
    const catalog = await gw.models.get(c.get("pool").name).catch(() => undefined);
    const host = (catalog && defaultModel(codexModels(catalog.body))) ?? FALLBACK_HOST_MODEL;
    const plan = imagesToCodex(request, host, kind);
    const turn = await startTurn(gw, {
      key: c.get("key"),
      pool: c.get("pool"),
      route,
      plan,
      clientHeaders: c.req.raw.headers,
      signal: c.req.raw.signal,
      startedAt: c.get("startedAt"),
      requestId: c.get("requestId"),
    });
    if (turn.kind === "error") return turn.response;
    const collected = await collectResponse(turn.events);
    if (!collected.ok) return failureResponse(collected.failure);
    const result = imagesResult(collected.response, gw.ctx.clock.now());
    if (!result) throw new GatewayError(502, "upstream_bad_response", "the upstream turn returned no image");
    return c.json(result);
  };

  app.post("/v1/images/generations", imageGate, async (c) =>
    generate(
      c,
      "/v1/images/generations",
      { fields: await jsonObject(gw, c.req.raw), images: [] },
      "generation",
    ),
  );
  app.post("/v1/images/edits", imageGate, async (c) => {
    const request = /^multipart\//i.test(c.req.header("content-type") ?? "")
      ? await editForm(await multipartForm(c.req.raw, IMAGES_MAX_BYTES))
      : editJson(await jsonObject(gw, c.req.raw));
    return generate(c, "/v1/images/edits", request, "edit");
  });

  const auth = poolKeyAuth(gw);
  for (const kind of ["generations", "edits"]) {
    const path = `/backend-api/codex/images/${kind}`;
    app.post(path, auth, imageGate, async (c) => {
      const body = await readBody(c.req.raw, { ...gw.ctx.config, maxBodyBytes: IMAGES_MAX_BYTES });
      const result = await bridge(gw, c, path, {
        path: `/codex/images/${kind}`,
        body: () => body,
        contentType: c.req.header("content-type") ?? "application/json",
        clientHeaders: c.req.raw.headers,
      });
      return relayAnswer(result);
    });
  }
  return app;
}

async function editForm(form: FormData): Promise<ImageRequest> {
  const fields: Json = {};
  const images: string[] = [];
  let mask: string | undefined;
  for (const [key, value] of form.entries()) {
    if (typeof value === "string") fields[key] = value;
    else if (key === "image" || key === "image[]") images.push(await dataUrl(value));
    else if (key === "mask") mask = await dataUrl(value);
    else fields[key] = "(file)";
  }
  return { fields, images, mask };
}

/** JSON edits reference images by URL (`images: [{image_url}]`, `mask: {image_url}`). */
function editJson(body: Json): ImageRequest {
  const { images, mask, ...fields } = body;
  const urls = Array.isArray(images)
    ? images.map((i) => (typeof i === "object" && i !== null ? (i as Json).image_url : undefined))
    : [];
  if (!urls.every((u): u is string => typeof u === "string" && /^(data:|https:)/.test(u))) {
    throw new GatewayError(
      400,
      "invalid_request",
      "images must be a list of {image_url} with data: or https: URLs",
      {
        param: "images",
      },
    );
  }
  const maskUrl = typeof mask === "object" && mask !== null ? (mask as Json).image_url : undefined;
  return { fields, images: urls, mask: typeof maskUrl === "string" ? maskUrl : undefined };
}

async function dataUrl(file: Blob): Promise<string> {
  const type = file.type || "image/png";
  return `data:${type};base64,${Buffer.from(await file.arrayBuffer()).toString("base64")}`;
}

// Files: OpenAI `POST/GET /v1/files` and the `/backend-api/files` bridge. Bytes pass through to the
// upstream account (bounded in memory by the multipart limit); only metadata is kept here.

import type { Context } from "hono";
import { Hono } from "hono";
import { badRequest } from "../../../core/errors.ts";
import type { Gateway } from "../../../core/gateway.ts";
import type { StoredFile } from "../../../core/model.ts";
import { unsupportedParameter } from "../../../core/openai/common.ts";
import {
  createBackendFile,
  FILE_MAX_BYTES,
  type FileRequest,
  finalizeBackendFile,
  requireFile,
  uploadFile,
} from "../../../core/pools/files.ts";
import { readBody } from "../../body.ts";
import { poolKeyAuth } from "../../middleware/pool-key-auth.ts";
import type { AppEnv } from "../../types.ts";
import { admitModelless, jsonObject, multipartForm } from "./request.ts";

/** Purposes that need batches or fine-tuning cannot be served. */
const PURPOSES = new Set(["assistants", "vision", "user_data", "evals"]);
const MULTIPART_OVERHEAD = 1024 * 1024;

export function fileRoutes(gw: Gateway) {
  const app = new Hono<AppEnv>();
  const fileRequest = (c: Context<AppEnv>, route: string): FileRequest => ({
    key: c.get("key"),
    pool: c.get("pool"),
    route,
    requestId: c.get("requestId"),
    signal: c.req.raw.signal,
    startedAt: c.get("startedAt"),
  });

  app.post("/v1/files", async (c) => {
    const form = await multipartForm(c.req.raw, FILE_MAX_BYTES + MULTIPART_OVERHEAD);
    for (const key of new Set(form.keys())) {
      if (key !== "file" && key !== "purpose") throw unsupportedParameter(key);
    }
    const file = form.get("file");
    if (!(file instanceof Blob)) throw badRequest("file is required", "file");
    const purpose = form.get("purpose");
    if (typeof purpose !== "string" || !PURPOSES.has(purpose)) {
      throw badRequest(`purpose must be one of ${[...PURPOSES].join(", ")}`, "purpose");
    }
    if (file.size > FILE_MAX_BYTES)
      throw badRequest(`file is larger than ${FILE_MAX_BYTES} bytes`, "file", "file_too_large");
    await admitModelless(gw, c, "/v1/files");
    const stored = await uploadFile(gw, fileRequest(c, "/v1/files"), {
      filename: file instanceof File && file.name ? file.name : "upload",
      type: file.type,
      blob: file,
      purpose,
    });
    return c.json(fileObject(stored));
  });

  app.get("/v1/files", async (c) => {
    const { purpose, limit: rawLimit, order, after } = c.req.query();
    const limit = rawLimit === undefined ? 100 : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw badRequest("limit must be 1 to 1000", "limit");
    if (order !== undefined && order !== "asc" && order !== "desc")
      throw badRequest("order must be asc or desc", "order");
    let files = await gw.ctx.store.files.list(c.get("pool").name, 10_000);
    if (purpose) files = files.filter((f) => f.purpose === purpose);
    if (order === "asc") files.reverse();
    if (after) {
      const index = files.findIndex((f) => f.id === after);
      files = index >= 0 ? files.slice(index + 1) : [];
    }
    const page = files.slice(0, limit);
    return c.json({
      object: "list",
      data: page.map(fileObject),
      first_id: page[0]?.id ?? null,
      last_id: page.at(-1)?.id ?? null,
      has_more: files.length > page.length,
    });
  });

  app.get("/v1/files/:id", async (c) =>
    c.json(fileObject(await requireFile(gw, c.get("pool").name, c.req.param("id")))),
  );

  const auth = poolKeyAuth(gw);
  app.post("/backend-api/files", auth, async (c) => {
    await admitModelless(gw, c, "/backend-api/files");
    const result = await createBackendFile(
      gw,
      fileRequest(c, "/backend-api/files"),
      await jsonObject(gw, c.req.raw),
    );
    return relayJson(result);
  });
  app.post("/backend-api/files/:id/uploaded", auth, async (c) => {
    const body = await readBody(c.req.raw, gw.ctx.config);
    const result = await finalizeBackendFile(
      gw,
      fileRequest(c, "/backend-api/files/{file_id}/uploaded"),
      c.req.param("id"),
      body,
    );
    return relayJson(result);
  });
  return app;
}

function relayJson(result: { status: number; text: string }): Response {
  return new Response(result.text, {
    status: result.status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

export function fileObject(file: StoredFile) {
  return {
    id: file.id,
    object: "file",
    bytes: file.bytes,
    created_at: Math.floor(file.createdAt / 1000),
    expires_at: file.expiresAt,
    filename: file.filename,
    purpose: file.purpose,
    status: file.status === "uploaded" ? "processed" : "uploaded",
    status_details: null,
  };
}

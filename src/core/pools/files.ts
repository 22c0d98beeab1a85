// Files live on the upstream account that received them; the gateway keeps metadata only (id,
// owner account, name, size, purpose) and pins every later use of a file to that account.
import { badRequest, conflict, GatewayError } from "../errors.ts";
import type { Credential, Pool, StoredFile } from "../model.ts";
import { gatewayErrorFrom } from "../openai/errors.ts";
import { callPool, logUnary, type UnaryDeps, type UnaryResult } from "../relay/unary.ts";
import { type Anchors, anchorHash } from "../routing/router.ts";

export const FILE_MAX_BYTES = 25 * 1024 * 1024;
const FILE_TTL_S = 30 * 86_400;
/** An upload that is never finalized is forgotten after a day (the upload URL is dead by then). */
const PENDING_TTL_S = 86_400;

export interface FileRequest {
  key: Credential;
  pool: Pool;
  route: string;
  requestId: string;
  signal: AbortSignal;
  startedAt: number;
}

export async function requireFile(gw: UnaryDeps, pool: string, id: string): Promise<StoredFile> {
  const file = await gw.ctx.store.files.get(pool, id);
  if (!file) {
    throw new GatewayError(404, "file_not_found", `No such file in this pool: ${id.slice(0, 100)}`, {
      param: "file_id",
    });
  }
  return file;
}

/**
 * Routing anchors for a turn that references files: the router's hard pin (the one it uses for
 * `previous_response_id`) is pointed at the file's account, so no other account can serve it. The
 * pin store holds `response`-kind pins; file ids never collide with response ids.
 */
export async function fileAnchors(
  gw: UnaryDeps,
  pool: string,
  fileIds: string[],
  anchors: Anchors,
): Promise<Anchors> {
  if (fileIds.length === 0) return anchors;
  const files = await Promise.all(fileIds.map((id) => requireFile(gw, pool, id)));
  const accounts = new Set(files.map((f) => f.accountId));
  if (accounts.size > 1) throw fileConflict();
  const file = files[0] as StoredFile;
  if (anchors.previousResponseId) {
    const pinned = await gw.ctx.store.pins.get(anchorHash(pool, "response", anchors.previousResponseId));
    if (pinned && pinned.accountId !== file.accountId) throw fileConflict();
    if (pinned) return anchors;
  }
  await gw.router.remember(pool, "response", file.id, file.accountId);
  return { ...anchors, previousResponseId: file.id };
}

const fileConflict = () =>
  conflict(
    "referenced file cannot be used with this model routing assignment: the files (or the previous response) live on different upstream accounts",
    "file_assignment_conflict",
  );

/** The router's pinned-continuation errors, reworded for a file pin. */
export function fileUnavailable(error: unknown, fileId: string): unknown {
  if (!(error instanceof GatewayError) || !error.code.startsWith("pinned_continuation")) return error;
  return new GatewayError(
    503,
    "file_account_unavailable",
    `the upstream account holding file ${fileId.slice(0, 100)} is not available right now; retry later or upload the file again`,
    { param: "file_id" },
  );
}

/** OpenAI multipart create: upstream create → upload the bytes → finalize, all on one account. */
export async function uploadFile(
  gw: UnaryDeps,
  req: FileRequest,
  upload: { filename: string; type: string; blob: Blob; purpose: string },
): Promise<StoredFile> {
  const { ctx } = gw;
  let account: UnaryResult["account"] | undefined;
  let attempts = 0;
  try {
    const created = await callPool(gw, {
      ...req,
      path: "/files",
      contentType: "application/json",
      body: () =>
        JSON.stringify({
          file_name: upload.filename,
          file_size: upload.blob.size,
          use_case: upload.type.startsWith("image/") ? "multimodal" : "my_files",
        }),
    });
    account = created.account;
    attempts = created.attempts;
    if (created.status < 200 || created.status > 299) throw gatewayErrorFrom(created.status, created.json);
    const { fileId, uploadUrl } = createdFile(created.json);
    // The upload URL is pre-signed blob storage: no gateway or account credentials go there.
    const put = await ctx.fetch(uploadUrl, {
      method: "PUT",
      headers: { "x-ms-blob-type": "BlockBlob", "content-type": upload.type || "application/octet-stream" },
      body: upload.blob,
      signal: req.signal,
    });
    await put.body?.cancel().catch(() => undefined);
    if (!put.ok) {
      throw new GatewayError(
        502,
        "upstream_upload_failed",
        `uploading the file bytes failed (HTTP ${put.status})`,
      );
    }
    const file = await store(gw, req.pool.name, {
      id: fileId,
      accountId: account.id,
      filename: upload.filename,
      bytes: upload.blob.size,
      purpose: upload.purpose,
      status: "pending",
    });
    const finalized = await finalize(gw, req, file);
    if (finalized.status < 200 || finalized.status > 299)
      throw gatewayErrorFrom(finalized.status, finalized.json);
    logUnary(gw, req, { status: 200, account, attempts });
    return { ...file, status: "uploaded", expiresAt: finalized.expiresAt };
  } catch (error) {
    const status = error instanceof GatewayError ? error.status : 500;
    logUnary(gw, req, {
      status,
      errorCode: (error as GatewayError).code ?? "internal_error",
      account,
      attempts,
    });
    throw error;
  }
}

/** `/backend-api/files`: the JSON create is relayed; the client uploads to the returned URL itself. */
export async function createBackendFile(gw: UnaryDeps, req: FileRequest, body: Record<string, unknown>) {
  const name = body.file_name;
  const size = body.file_size;
  if (typeof name !== "string" || name === "" || name.length > 1024) {
    throw badRequest("file_name must be a non-empty string", "file_name");
  }
  if (typeof size !== "number" || !Number.isInteger(size) || size < 0 || size > FILE_MAX_BYTES) {
    throw badRequest(`file_size must be an integer from 0 to ${FILE_MAX_BYTES}`, "file_size");
  }
  const result = await callPool(gw, {
    ...req,
    path: "/files",
    contentType: "application/json",
    body: () => JSON.stringify(body),
  }).catch((error: unknown) => {
    logUnary(gw, req, {
      status: error instanceof GatewayError ? error.status : 500,
      errorCode: (error as GatewayError).code,
    });
    throw error;
  });
  if (result.status >= 200 && result.status < 300) {
    const { fileId } = createdFile(result.json);
    await store(gw, req.pool.name, {
      id: fileId,
      accountId: result.account.id,
      filename: name,
      bytes: size,
      purpose: typeof body.use_case === "string" ? body.use_case.slice(0, 64) : "my_files",
      status: "pending",
    });
  }
  logUnary(gw, req, { status: result.status, account: result.account, attempts: result.attempts });
  return result;
}

/** `/backend-api/files/{id}/uploaded`, on the account that holds the file. */
export async function finalizeBackendFile(gw: UnaryDeps, req: FileRequest, fileId: string, body: Uint8Array) {
  const file = await requireFile(gw, req.pool.name, fileId);
  try {
    const result = await finalize(gw, req, file, body);
    logUnary(gw, req, { status: result.status, account: result.account, attempts: result.attempts });
    return result;
  } catch (error) {
    logUnary(gw, req, {
      status: error instanceof GatewayError ? error.status : 500,
      errorCode: (error as GatewayError).code,
    });
    throw fileUnavailable(error, fileId);
  }
}

async function finalize(gw: UnaryDeps, req: FileRequest, file: StoredFile, body?: Uint8Array) {
  const result = await callPool(gw, {
    ...req,
    path: `/files/${encodeURIComponent(file.id)}/uploaded`,
    contentType: "application/json",
    body: () => (body && body.byteLength > 0 ? body.slice() : "{}"),
    anchors: await fileAnchors(gw, req.pool.name, [file.id], {}),
    failover: false,
  });
  let expiresAt = file.expiresAt;
  if (result.status >= 200 && result.status < 300) {
    const updated = await store(gw, req.pool.name, { ...file, status: "uploaded" });
    expiresAt = updated.expiresAt;
  }
  return { ...result, expiresAt };
}

async function store(
  gw: UnaryDeps,
  pool: string,
  input: Pick<StoredFile, "id" | "accountId" | "filename" | "bytes" | "purpose" | "status"> & {
    createdAt?: number;
  },
): Promise<StoredFile> {
  const now = gw.ctx.clock.now();
  const file: StoredFile = {
    ...input,
    pool,
    createdAt: input.createdAt ?? now,
    expiresAt: Math.floor(now / 1000) + (input.status === "uploaded" ? FILE_TTL_S : PENDING_TTL_S),
  };
  await gw.ctx.store.files.put(file);
  await gw.router.remember(pool, "response", file.id, file.accountId);
  return file;
}

function createdFile(json: unknown): { fileId: string; uploadUrl: string } {
  const body = (json ?? {}) as { file_id?: unknown; upload_url?: unknown };
  const fileId = body.file_id;
  const uploadUrl = body.upload_url;
  if (typeof fileId !== "string" || !/^[A-Za-z0-9_-]{1,200}$/.test(fileId) || typeof uploadUrl !== "string") {
    throw new GatewayError(
      502,
      "upstream_bad_response",
      "the upstream file create answer had no file id or upload URL",
    );
  }
  if (!/^https?:\/\//i.test(uploadUrl)) {
    throw new GatewayError(502, "upstream_bad_response", "the upstream upload URL is not an http(s) URL");
  }
  return { fileId, uploadUrl };
}

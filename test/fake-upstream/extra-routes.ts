// Fake upstream endpoints beyond the Responses turn: file create / blob upload / finalize,
// transcription, native images, legacy compaction, and image generation through a Responses turn
// (the hosted image_generation tool). Files belong to the account that created them; using one
// from another account fails, so tests can see that the gateway pins files to their account.
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomHex } from "./jwt.ts";
import { formatSse, type SseEvent } from "./sse.ts";
import type { RecordedRequest } from "./types.ts";

/** A 1×1 PNG. */
export const FAKE_PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

type Json = Record<string, unknown>;

interface FakeFile {
  id: string;
  accountId: string;
  name: string;
  size: number;
  uploadedBytes?: number;
  finalized: boolean;
}

export interface ExtraRouteDeps {
  /** The fake's own bearer check: answers 401 itself and returns undefined when it fails. */
  authenticate(req: IncomingMessage, res: ServerResponse): { accountId: string } | undefined;
  baseUrl(): string;
  /** The status an account's unary routes answer instead of serving (set by failUnary), if any. */
  unaryFailure(accountId: string): number | undefined;
}

export interface ExtraRequest {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  raw: Buffer;
  body: unknown;
  record: RecordedRequest;
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

async function multipart(raw: Buffer, contentType: string | undefined): Promise<FormData | undefined> {
  if (!contentType?.startsWith("multipart/form-data")) return undefined;
  try {
    return await new Response(new Uint8Array(raw), { headers: { "content-type": contentType } }).formData();
  } catch {
    return undefined;
  }
}

/** Multipart as a recordable summary: text fields as given, files as name/size/type only. */
function summarize(form: FormData): Json {
  const out: Json = {};
  for (const [key, value] of form.entries()) {
    const entry =
      typeof value === "string" ? value : { name: (value as File).name, size: value.size, type: value.type };
    const prev = out[key];
    out[key] = prev === undefined ? entry : Array.isArray(prev) ? [...prev, entry] : [prev, entry];
  }
  return out;
}

export function createExtraRoutes(deps: ExtraRouteDeps) {
  const files = new Map<string, FakeFile>();
  let counter = 0;

  function fileIdsIn(body: unknown): string[] {
    if (!isObject(body) || !Array.isArray(body.input)) return [];
    const ids: string[] = [];
    for (const item of body.input) {
      if (!isObject(item) || !Array.isArray(item.content)) continue;
      for (const part of item.content) {
        if (isObject(part) && part.type === "input_file" && typeof part.file_id === "string")
          ids.push(part.file_id);
      }
    }
    return ids;
  }

  function imageTurn(res: ServerResponse, body: Json): void {
    const n = ++counter;
    const meta = {
      id: `resp_img_${n}`,
      object: "response",
      created_at: Math.floor(Date.now() / 1000),
      model: body.model,
    };
    const tool = (
      Array.isArray(body.tools) ? body.tools.find((t) => isObject(t) && t.type === "image_generation") : {}
    ) as Json;
    const prompt = (body.input as Json[] | undefined)?.[0]?.content as Json[] | undefined;
    const text = typeof prompt?.[0]?.text === "string" ? (prompt[0].text as string) : "";
    const item = {
      id: `ig_${n}`,
      type: "image_generation_call",
      status: "completed",
      result: FAKE_PNG_BASE64,
      revised_prompt: `A picture of ${text}`,
      background: typeof tool.background === "string" ? tool.background : "opaque",
      output_format: typeof tool.output_format === "string" ? tool.output_format : "png",
      quality: typeof tool.quality === "string" ? tool.quality : "medium",
      size: typeof tool.size === "string" ? tool.size : "1024x1024",
    };
    const usage = { input_tokens: 50, output_tokens: 1056, total_tokens: 1106 };
    const events: SseEvent[] = [
      { type: "response.created", response: { ...meta, status: "in_progress", output: [] } },
      {
        type: "response.output_item.added",
        output_index: 0,
        item: { id: item.id, type: item.type, status: "in_progress" },
      },
      { type: "response.output_item.done", output_index: 0, item },
      { type: "response.completed", response: { ...meta, status: "completed", output: [item], usage } },
    ];
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    for (const [i, event] of events.entries()) res.write(formatSse({ ...event, sequence_number: i }));
    res.end();
  }

  /** Returns true when the request was answered here. */
  async function handle(r: ExtraRequest): Promise<boolean> {
    const { req, res, method, path, raw, record } = r;
    const route = `${method} ${path}`;

    const blob = /^\/fake-blob\/([^/]+)$/.exec(path);
    if (method === "PUT" && blob) {
      record.body = { bytes: raw.length };
      const file = files.get(blob[1] as string);
      if (!file || new URL(req.url ?? "/", "http://x").searchParams.get("sig") !== "fake") {
        send(res, 403, { error: "AuthenticationFailed" });
        return true;
      }
      file.uploadedBytes = raw.length;
      res.writeHead(201);
      res.end();
      return true;
    }

    const finalize = /^\/backend-api\/files\/([^/]+)\/uploaded$/.exec(path);
    const known =
      route === "POST /backend-api/files" ||
      route === "POST /backend-api/transcribe" ||
      route === "POST /backend-api/codex/images/generations" ||
      route === "POST /backend-api/codex/images/edits" ||
      route === "POST /backend-api/codex/responses/compact" ||
      (method === "POST" && finalize !== null);
    const responses = route === "POST /backend-api/codex/responses";
    if (!known && !responses) return false;
    const acct = deps.authenticate(req, res);
    if (!acct) return true;
    const failure = responses ? undefined : deps.unaryFailure(acct.accountId);
    if (failure !== undefined) {
      send(res, failure, {
        error: { message: `fake unary failure (HTTP ${failure})`, type: "server_error", code: null },
      });
      return true;
    }

    if (responses) {
      for (const id of fileIdsIn(r.body)) {
        const file = files.get(id);
        if (!file || file.accountId !== acct.accountId || !file.finalized) {
          send(res, 404, {
            error: { message: `File ${id} not found`, type: "invalid_request_error", code: "file_not_found" },
          });
          return true;
        }
      }
      const tools = isObject(r.body) && Array.isArray(r.body.tools) ? r.body.tools : [];
      if (
        isObject(r.body) &&
        r.body.stream === true &&
        tools.some((t) => isObject(t) && t.type === "image_generation")
      ) {
        imageTurn(res, r.body);
        return true;
      }
      return false; // an ordinary turn: the main handler serves it
    }

    if (route === "POST /backend-api/files") {
      const body = r.body;
      if (!isObject(body) || typeof body.file_name !== "string" || typeof body.file_size !== "number") {
        send(res, 400, { detail: "file_name and file_size are required" });
        return true;
      }
      const id = `file-${randomHex(12)}`;
      files.set(id, {
        id,
        accountId: acct.accountId,
        name: body.file_name,
        size: body.file_size,
        finalized: false,
      });
      send(res, 200, {
        status: "success",
        upload_url: `${deps.baseUrl()}/fake-blob/${id}?sig=fake`,
        file_id: id,
      });
      return true;
    }

    if (finalize) {
      const file = files.get(finalize[1] as string);
      if (!file || file.accountId !== acct.accountId) {
        send(res, 404, { detail: "File not found" });
        return true;
      }
      if (file.uploadedBytes === undefined) {
        send(res, 400, { detail: "File has not been uploaded" });
        return true;
      }
      file.finalized = true;
      send(res, 200, {
        status: "success",
        download_url: `${deps.baseUrl()}/fake-blob/${file.id}?sig=fake`,
        file_name: file.name,
        mime_type: "application/octet-stream",
        creation_time: new Date().toISOString(),
      });
      return true;
    }

    if (route === "POST /backend-api/transcribe") {
      const form = await multipart(raw, req.headers["content-type"]);
      const file = form?.get("file");
      if (!form || !(file instanceof Blob)) {
        send(res, 400, { detail: "file is required" });
        return true;
      }
      record.body = summarize(form);
      const name = file instanceof File ? file.name : "audio";
      send(res, 200, { text: `Transcribed ${name} (${file.size} bytes)`, language: "en", duration: 1.5 });
      return true;
    }

    if (
      route === "POST /backend-api/codex/images/generations" ||
      route === "POST /backend-api/codex/images/edits"
    ) {
      send(res, 200, { created: Math.floor(Date.now() / 1000), data: [{ b64_json: FAKE_PNG_BASE64 }] });
      return true;
    }

    // Legacy compaction: JSON in, one compaction item out.
    const body = r.body;
    if (!isObject(body) || typeof body.model !== "string" || !Array.isArray(body.input)) {
      send(res, 400, { detail: "model and input are required" });
      return true;
    }
    if (body.stream !== undefined) {
      send(res, 400, { detail: "stream is not accepted here" });
      return true;
    }
    const n = ++counter;
    send(res, 200, {
      object: "response.compaction",
      id: `resp_cmp_${n}`,
      model: body.model,
      output: [
        {
          type: "compaction",
          id: `cmp_${n}`,
          encrypted_content: `gAAAAB${Buffer.from(JSON.stringify({ acct: acct.accountId, n })).toString("base64url")}`,
        },
      ],
      usage: {
        input_tokens: 300,
        output_tokens: 40,
        total_tokens: 340,
        input_tokens_details: { cached_tokens: 0 },
      },
    });
    return true;
  }

  return { handle };
}

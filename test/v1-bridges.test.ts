// Files, audio, images and legacy compaction: the OpenAI SDK routes and the /backend-api bridges
// against the fake upstream. Bytes go through to the account; files stay on the account that
// holds them; the Pool's image switch answers before any body is read.
import OpenAI, { toFile } from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { FAKE_PNG_BASE64 } from "./fake-upstream/extra-routes.ts";
import { NO_KEEPALIVE, useTestGateway } from "./helpers/gateway.ts";
import { openaiFor } from "./helpers/openai.ts";

const { gw, seeded } = useTestGateway({ env: NO_KEEPALIVE, seed: { accounts: 3 } });
let client: OpenAI;
beforeAll(() => {
  client = openaiFor(gw, seeded.key);
});

const upstream = (method: string, pattern: RegExp) =>
  gw.fake.requests.filter((r) => r.method === method && pattern.test(r.path));

describe("files", () => {
  it("creates a file through the SDK: upstream create, blob upload, finalize on one account", async () => {
    const bytes = Buffer.from("hello file bytes");
    const file = await client.files.create({ file: await toFile(bytes, "notes.txt"), purpose: "user_data" });
    expect(file).toMatchObject({
      object: "file",
      bytes: bytes.length,
      filename: "notes.txt",
      purpose: "user_data",
      status: "processed",
    });
    expect(file.id).toMatch(/^file-/);

    const [create] = upstream("POST", /^\/backend-api\/files$/).slice(-1);
    expect(create!.body).toMatchObject({ file_name: "notes.txt", file_size: bytes.length });
    const [put] = upstream("PUT", new RegExp(`^/fake-blob/${file.id}$`));
    expect(put!.body).toEqual({ bytes: bytes.length });
    // The pre-signed upload URL gets the bytes, never a credential.
    expect(put!.headers.authorization).toBeUndefined();
    const [finalize] = upstream("POST", new RegExp(`^/backend-api/files/${file.id}/uploaded$`));
    expect(finalize!.accountId).toBe(create!.accountId);

    expect(await client.files.retrieve(file.id)).toEqual(file);
    const list = await client.files.list();
    expect(list.data.map((f) => f.id)).toContain(file.id);
  });

  it("pins every turn that references a file to the account that holds it", async () => {
    const file = await client.files.create({
      file: await toFile(Buffer.from("%PDF-1.4 fake"), "spec.pdf"),
      purpose: "user_data",
    });
    const owner = upstream("POST", /^\/backend-api\/files$/).at(-1)!.accountId;
    for (let i = 0; i < 6; i++) {
      const completion = await client.chat.completions.create({
        model: "gpt-5.5",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: `summarize ${i}` },
              { type: "file", file: { file_id: file.id } },
            ],
          },
        ],
      });
      expect(completion.choices[0]!.message.content).toBe("Hello from fake upstream.");
    }
    const turns = gw.fake.requests.filter(
      (r) => r.path === "/backend-api/codex/responses" && JSON.stringify(r.body).includes(file.id),
    );
    expect(turns).toHaveLength(6);
    expect(new Set(turns.map((t) => t.accountId))).toEqual(new Set([owner]));
    const sent = turns[0]!.body as any;
    expect(sent.input[0].content[1]).toEqual({ type: "input_file", file_id: file.id });

    const viaResponses = await client.responses.create({
      model: "gpt-5.5",
      input: [{ role: "user", content: [{ type: "input_file", file_id: file.id }] }],
    });
    expect(viaResponses.output_text).toBe("Hello from fake upstream.");
  });

  it("refuses a file id the pool does not hold, without an upstream call", async () => {
    const other = await gw.seed({ accounts: 1 });
    const otherClient = openaiFor(gw, other.key);
    const foreign = await otherClient.files.create({
      file: await toFile(Buffer.from("x"), "x.txt"),
      purpose: "user_data",
    });
    const before = gw.fake.requests.length;
    for (const id of ["file-doesnotexist", foreign.id]) {
      const error = await client.chat.completions
        .create({
          model: "gpt-5.5",
          messages: [{ role: "user", content: [{ type: "file", file: { file_id: id } }] }],
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect((error as InstanceType<typeof OpenAI.NotFoundError>).error).toMatchObject({
        code: "file_not_found",
        param: "file_id",
      });
      const retrieve = await client.files.retrieve(id).catch((e: unknown) => e);
      expect(retrieve).toBeInstanceOf(OpenAI.NotFoundError);
    }
    expect(gw.fake.requests.length).toBe(before);
  });

  it("refuses purposes it cannot serve and non-multipart bodies", async () => {
    const error = await client.files
      .create({ file: await toFile(Buffer.from("{}"), "train.jsonl"), purpose: "fine-tune" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("purpose");
    const json = await fetch(`${gw.url}/v1/files`, {
      method: "POST",
      headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(json.status).toBe(400);
  });

  it("bridges /backend-api/files: create relayed, client uploads, finalize on the holding account", async () => {
    for (let i = 0; i < 3; i++) {
      const created = await fetch(`${gw.url}/backend-api/files`, {
        method: "POST",
        headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
        body: JSON.stringify({ file_name: `shot${i}.png`, file_size: 4, use_case: "multimodal" }),
      });
      expect(created.status).toBe(200);
      const body = await created.json();
      expect(body).toMatchObject({ status: "success" });
      expect(body.upload_url).toContain(`/fake-blob/${body.file_id}`);
      const put = await fetch(body.upload_url, { method: "PUT", body: Buffer.from([1, 2, 3, 4]) });
      expect(put.status).toBe(201);
      const finalized = await fetch(`${gw.url}/backend-api/files/${body.file_id}/uploaded`, {
        method: "POST",
        headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
        body: "{}",
      });
      expect(finalized.status).toBe(200);
      expect(await finalized.json()).toMatchObject({ status: "success", file_name: `shot${i}.png` });
      const createdOn = upstream("POST", /^\/backend-api\/files$/).at(-1)!.accountId;
      const finalizedOn = upstream("POST", new RegExp(`^/backend-api/files/${body.file_id}/uploaded$`)).at(
        -1,
      )!.accountId;
      expect(finalizedOn).toBe(createdOn);
      const listed = await client.files.retrieve(body.file_id);
      expect(listed).toMatchObject({
        filename: `shot${i}.png`,
        bytes: 4,
        purpose: "multimodal",
        status: "processed",
      });
    }
    const unknown = await fetch(`${gw.url}/backend-api/files/file-nope/uploaded`, {
      method: "POST",
      headers: { authorization: `Bearer ${seeded.key}` },
    });
    expect(unknown.status).toBe(404);
  });
});

describe("audio transcription", () => {
  it("translates the SDK's multipart to /backend-api/transcribe and drops detected-language fields", async () => {
    const audio = Buffer.from("RIFF0000WAVEfmt fake audio");
    const result = await client.audio.transcriptions.create({
      file: await toFile(audio, "clip.wav", { type: "audio/wav" }),
      model: "gpt-transcribe",
      language: "en",
      prompt: "names: Ada",
    });
    expect(result).toEqual({ text: `Transcribed clip.wav (${audio.length} bytes)` });
    const sent = upstream("POST", /^\/backend-api\/transcribe$/).at(-1)!;
    expect(sent.body).toEqual({
      file: { name: "clip.wav", size: audio.length, type: "audio/wav" },
      model: "gpt-4o-transcribe",
      language: "en",
      prompt: "names: Ada",
    });
  });

  it("keeps keyword and language lists in order with duplicates, drops empty ones, and answers text", async () => {
    const form = new FormData();
    form.append("file", new Blob([Buffer.from("fake")], { type: "audio/mpeg" }), "a.mp3");
    form.append("model", "gpt-4o-mini-transcribe");
    for (const k of ["beta", "alpha", "beta"]) form.append("keywords[]", k);
    form.append("languages[]", "");
    form.append("response_format", "text");
    const response = await fetch(`${gw.url}/v1/audio/transcriptions`, {
      method: "POST",
      headers: { authorization: `Bearer ${seeded.key}` },
      body: form,
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("Transcribed a.mp3 (4 bytes)\n");
    const sent = upstream("POST", /^\/backend-api\/transcribe$/).at(-1)!.body as Record<string, unknown>;
    expect(sent["keywords[]"]).toEqual(["beta", "alpha", "beta"]);
    expect("languages[]" in sent).toBe(false);
  });

  it.each([
    [
      "timestamp_granularities[]",
      "unsupported_parameter",
      (f: FormData) => f.append("timestamp_granularities[]", "word"),
    ],
    ["model", "invalid_model", (f: FormData) => f.set("model", "whisper-9")],
    ["response_format", "unsupported_parameter", (f: FormData) => f.append("response_format", "srt")],
  ])("refuses %s (%s) without an upstream call", async (param, code, change) => {
    const form = new FormData();
    form.append("file", new Blob([Buffer.from("fake")]), "a.wav");
    form.append("model", "whisper-1");
    change(form);
    const before = upstream("POST", /^\/backend-api\/transcribe$/).length;
    const response = await fetch(`${gw.url}/v1/audio/transcriptions`, {
      method: "POST",
      headers: { authorization: `Bearer ${seeded.key}` },
      body: form,
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatchObject({ code, param });
    expect(upstream("POST", /^\/backend-api\/transcribe$/).length).toBe(before);
  });

  it("checks the key before reading a multipart body", async () => {
    const response = await fetch(`${gw.url}/backend-api/transcribe`, {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=x" },
      body: "--x\r\nnot really multipart",
    });
    expect(response.status).toBe(401);
  });

  it("relays /backend-api/transcribe as is", async () => {
    const form = new FormData();
    form.append("file", new Blob([Buffer.from("abc")]), "native.webm");
    const response = await fetch(`${gw.url}/backend-api/transcribe`, {
      method: "POST",
      headers: { authorization: `Bearer ${seeded.key}` },
      body: form,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      text: "Transcribed native.webm (3 bytes)",
      language: "en",
      duration: 1.5,
    });
  });
});

describe("images", () => {
  it("generates through a Responses turn with the image_generation tool", async () => {
    const result = await client.images.generate({
      model: "gpt-image-1",
      prompt: "a red cube",
      size: "1024x1024",
      quality: "low",
    });
    expect(result.data).toEqual([{ b64_json: FAKE_PNG_BASE64, revised_prompt: "A picture of a red cube" }]);
    expect(result).toMatchObject({ size: "1024x1024", quality: "low", output_format: "png" });
    const sent = gw.fake.requests.filter((r) => r.path === "/backend-api/codex/responses").at(-1)!
      .body as any;
    expect(sent).toMatchObject({
      model: "gpt-5.5",
      stream: true,
      store: false,
      tools: [{ type: "image_generation", model: "gpt-image-1", size: "1024x1024", quality: "low" }],
      tool_choice: { type: "image_generation" },
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "a red cube" }] }],
    });
  });

  it("edits: the input image goes up as a data URL", async () => {
    const png = Buffer.from(FAKE_PNG_BASE64, "base64");
    const result = await client.images.edit({
      model: "gpt-image-1",
      image: await toFile(png, "in.png", { type: "image/png" }),
      prompt: "make it blue",
    });
    expect(result.data![0]!.b64_json).toBe(FAKE_PNG_BASE64);
    const sent = gw.fake.requests.filter((r) => r.path === "/backend-api/codex/responses").at(-1)!
      .body as any;
    expect(sent.input[0].content).toEqual([
      { type: "input_text", text: "make it blue" },
      { type: "input_image", image_url: `data:image/png;base64,${FAKE_PNG_BASE64}` },
    ]);
  });

  it.each([
    ["n", { n: 2 }],
    ["response_format", { response_format: "url" }],
    ["style", { style: "vivid" }],
  ])("refuses %s", async (param, extra) => {
    const response = await fetch(`${gw.url}/v1/images/generations`, {
      method: "POST",
      headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "x", ...extra }),
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatchObject({ code: "unsupported_parameter", param });
  });

  it("relays the native /backend-api/codex/images/generations route", async () => {
    const response = await fetch(`${gw.url}/backend-api/codex/images/generations`, {
      method: "POST",
      headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "x" }),
    });
    expect(response.status).toBe(200);
    expect((await response.json()).data).toEqual([{ b64_json: FAKE_PNG_BASE64 }]);
  });

  it("the pool switch answers 403 image_generation_disabled before reading the body", async () => {
    const pool = await gw.seed({ accounts: 1 });
    const patched = await gw.admin("PATCH", `/pools/${pool.pool}`, { allowImageGeneration: false });
    expect(patched.status).toBe(200);
    expect(patched.body.pool.allowImageGeneration).toBe(false);
    const before = gw.fake.requests.length;
    const send = (path: string, body: string, contentType = "application/json") =>
      fetch(`${gw.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${pool.key}`, "content-type": contentType },
        body,
      });
    for (const [path, body, type] of [
      ["/v1/images/generations", "{not json"],
      ["/v1/images/edits", "--b\r\ngarbage", "multipart/form-data; boundary=b"],
      ["/backend-api/codex/images/generations", "{not json"],
      ["/backend-api/codex/images/edits", "{}"],
      [
        "/v1/responses",
        JSON.stringify({ model: "gpt-5.5", input: "x", tools: [{ type: "image_generation" }] }),
      ],
    ] as const) {
      const response = await send(path, body, type);
      expect(response.status, path).toBe(403);
      expect((await response.json()).error, path).toMatchObject({
        code: "image_generation_disabled",
        type: "invalid_request_error",
      });
    }
    expect(gw.fake.requests.length).toBe(before);
    // Other turns still work, and switching it back on serves images again.
    expect((await send("/v1/responses", JSON.stringify({ model: "gpt-5.5", input: "x" }))).status).toBe(200);
    await gw.admin("PATCH", `/pools/${pool.pool}`, { allowImageGeneration: true });
    const again = await send("/v1/images/generations", JSON.stringify({ prompt: "a cat" }));
    expect(again.status).toBe(200);
  });

  it("defaults a new pool to image generation allowed", async () => {
    const pools = await gw.admin("GET", `/pools/${seeded.pool}`);
    expect(pools.body.pool.allowImageGeneration).toBe(true);
    const bad = await gw.admin("PATCH", `/pools/${seeded.pool}`, { allowImageGeneration: "no" });
    expect(bad.status).toBe(400);
  });
});

describe("legacy compaction", () => {
  it("relays /backend-api/codex/responses/compact to the session's account, without stream", async () => {
    const fresh = await gw.seed({ accounts: 3 });
    const headers = {
      authorization: `Bearer ${fresh.key}`,
      "content-type": "application/json",
      "session-id": "thread-compact-1",
    };
    const turn = await fetch(`${gw.url}/backend-api/codex/responses`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        model: "gpt-5.5",
        stream: true,
        store: false,
        input: [{ role: "user", content: "hi" }],
      }),
    });
    expect(turn.status).toBe(200);
    await turn.text();
    const servedBy = gw.fake.requests
      .filter((r) => r.path === "/backend-api/codex/responses")
      .at(-1)!.accountId;
    for (const path of ["/backend-api/codex/responses/compact", "/backend-api/codex/v1/responses/compact"]) {
      const response = await fetch(`${gw.url}${path}`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          model: "gpt-5.5",
          instructions: "x",
          input: [{ role: "user", content: "hi" }],
          stream: true,
        }),
      });
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(body.object).toBe("response.compaction");
      expect(body.output).toHaveLength(1);
      expect(body.output[0]).toMatchObject({ type: "compaction" });
      const sent = upstream("POST", /^\/backend-api\/codex\/responses\/compact$/).at(-1)!;
      expect(sent.accountId).toBe(servedBy);
      expect("stream" in (sent.body as object)).toBe(false);
    }
    const rows = await gw.requestLogs(fresh.keyId, 3);
    const compact = rows.find((r: any) => r.route === "/backend-api/codex/responses/compact");
    expect(compact).toMatchObject({ transport: "http_json", status: 200, model: "gpt-5.5" });
    expect(compact.usage).toMatchObject({ inputTokens: 300, outputTokens: 40 });
  });
});

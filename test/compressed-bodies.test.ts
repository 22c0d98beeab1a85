// Compressed request bodies against the real local host: every encoding the gateway accepts, with
// hostile headers as fast-check properties (zstd frames that declare huge windows or content sizes,
// run-length bombs, truncation, concatenated and skippable frames, dictionaries, reserved bits, wrong
// encoding names; gzip, deflate and br bombs and truncations), each answered with a clear 400, 413 or
// 415 while the process's peak memory stays bounded; the admin API's body limit; and the 100-byte
// zstd frame that declares a 1 GB window, three at once against a spawned gateway whose peak RSS and
// /healthz are watched meanwhile.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultCoreConfig } from "../src/core/context.ts";
import { ADMIN_MAX_BODY_BYTES } from "../src/http/validate.ts";
import { ZSTD_MAX_FRAMES, ZSTD_MAX_WINDOW_BYTES } from "../src/http/zstd.ts";
import {
  type FakeUpstream,
  startFakeUpstream,
  type ZstdBlock,
  type ZstdFrameSpec,
  zstdFrame,
  zstdRleBomb,
  zstdSkippableFrame,
} from "./fake-upstream/index.ts";
import {
  postDeclaredLength,
  type Seeded,
  scratchDir,
  startTestGateway,
  TEXT_TURN_BODY,
  type TestGateway,
} from "./helpers/gateway.ts";
import {
  adminClient,
  freshGet,
  type PoolerProcess,
  poolerEnv,
  seedThroughAdmin,
  spawnPooler,
} from "./helpers/process.ts";

const MiB = 1024 * 1024;
const MAX = defaultCoreConfig.maxBodyBytes;
const BLOCK = 128 * 1024;
const TURN = Buffer.from(JSON.stringify(TEXT_TURN_BODY));

/** Peak resident memory of a process since it started (VmHWM), in bytes. */
function peakRss(pid: number | "self" = "self"): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) * 1024;
}

/** The status is one of `statuses` and the body is the OpenAI error envelope. */
async function expectRefused(response: Response, statuses: number[], what: string): Promise<void> {
  const text = await response.text();
  expect(statuses, `${what}: HTTP ${response.status} ${text.slice(0, 300)}`).toContain(response.status);
  const body = JSON.parse(text);
  expect(body.error, what).toMatchObject({ type: "invalid_request_error", param: null });
  expect(typeof body.error.message === "string" && typeof body.error.code === "string", what).toBe(true);
}

/** A turn on the Codex route whose body is `body` as sent, under `content-encoding: encoding`. */
const postEncoded = (url: string, key: string, body: Uint8Array, encoding: string) =>
  fetch(`${url}/backend-api/codex/responses`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      "content-encoding": encoding,
    },
    body: new Uint8Array(body),
  });

/** `size` bytes of one value as run-length blocks (at most `max` each). */
function runBlocks(byte: number, size: number, max = BLOCK): ZstdBlock[] {
  const blocks: ZstdBlock[] = [];
  for (let left = size; left > 0; left -= max) blocks.push({ type: "rle", byte, size: Math.min(max, left) });
  return blocks;
}

const contentOf = (blocks: ZstdBlock[]) =>
  blocks.reduce((n, b) => n + (b.type === "raw" ? b.data.byteLength : b.type === "rle" ? b.size : 0), 0);

/** How a frame says (or does not say) how large it is. */
const framing = fc.oneof(
  // No content size: a window of 128 KiB to 8 MiB.
  fc.tuple(fc.integer({ min: 7, max: 13 }), fc.integer({ min: 0, max: 7 })).map(([exponent, mantissa]) => ({
    windowDescriptor: (exponent << 3) | (exponent === 13 ? 0 : mantissa),
  })),
  // The exact content size, with a window of 128 KiB to 8 MiB or as a single segment.
  fc.record({ windowDescriptor: fc.integer({ min: 0x38, max: 0x68 }), contentSize: fc.constant(-1) }),
  fc.constant({ singleSegment: true, contentSize: -1 }),
);

/**
 * A valid zstd encoding of the turn: leading and trailing whitespace as run-length blocks, the JSON
 * in stored blocks, spread over 1–4 frames, each framed its own way, skippable frames in between.
 */
const validZstd = fc
  .record({
    lead: fc.nat({ max: 400_000 }),
    trail: fc.nat({ max: 400_000 }),
    cuts: fc.uniqueArray(fc.integer({ min: 1, max: TURN.length - 1 }), { maxLength: 4 }),
    breaks: fc.uniqueArray(fc.nat({ max: 16 }), { maxLength: 3 }),
    framings: fc.array(framing, { minLength: 4, maxLength: 4 }),
    skippable: fc.array(fc.tuple(fc.nat({ max: 4 }), fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 15 })), {
      maxLength: 3,
    }),
  })
  .map(({ lead, trail, cuts, breaks, framings, skippable }) => {
    const points = [0, ...cuts.sort((a, b) => a - b), TURN.length];
    const blocks: ZstdBlock[] = [
      ...runBlocks(0x20, lead),
      ...points.slice(1).map((end, i) => ({ type: "raw" as const, data: TURN.subarray(points[i], end) })),
      ...runBlocks(0x0a, trail),
    ];
    const groups: ZstdBlock[][] = [];
    let start = 0;
    for (const at of [
      ...breaks.filter((b) => b > 0 && b < blocks.length).sort((a, b) => a - b),
      blocks.length,
    ]) {
      if (at > start) groups.push(blocks.slice(start, at));
      start = at;
    }
    const frames = groups.map((group, i) => {
      const spec = { ...(framings[i] as Partial<ZstdFrameSpec>), blocks: group };
      if (spec.contentSize === -1) spec.contentSize = contentOf(group);
      return zstdFrame(spec as ZstdFrameSpec);
    });
    for (const [at, payload, nibble] of skippable) {
      frames.splice(Math.min(at, frames.length), 0, zstdSkippableFrame(payload, nibble));
    }
    return { body: Buffer.concat(frames), lastFrame: frames.length - 1, frames };
  });

/** A zstd body and what the gateway must answer. */
type Case = { what: string; body: Uint8Array; encoding?: string; statuses: number[] };

const anyWindow = fc.integer({ min: 0, max: 255 });

/** Frames whose headers or blocks claim more than the gateway decodes, or break the format. */
const hostileZstd: fc.Arbitrary<Case> = fc.oneof(
  // A declared content size over the limit (single segment: that is the window too).
  fc
    .record({
      size: fc.oneof(
        fc.integer({ min: MAX + 1, max: 2 ** 32 - 1 }),
        fc.integer({ min: 2 ** 32, max: 2 ** 52 }),
      ),
      single: fc.boolean(),
      window: anyWindow,
      blocks: fc.integer({ min: 1, max: 8 }),
    })
    .map(({ size, single, window, blocks }) => ({
      what: `content size ${size}${single ? " single segment" : ""}`,
      body: zstdRleBomb(blocks, { contentSize: size, singleSegment: single, windowDescriptor: window }),
      statuses: [413],
    })),
  // A window over ZSTD_MAX_WINDOW_BYTES (up to 3.75 TB as declared), with or without a content size.
  fc
    .record({ window: fc.integer({ min: 0x69, max: 0xff }), sized: fc.boolean() })
    .map(({ window, sized }) => ({
      what: `window descriptor ${window}${sized ? " with a content size" : ""}`,
      body: zstdRleBomb(3, { windowDescriptor: window, contentSize: sized ? 3 * BLOCK : undefined }),
      statuses: [413],
    })),
  // Run-length blocks past the limit, in few bytes.
  fc
    .record({
      blocks: fc.integer({ min: MAX / BLOCK + 1, max: 3000 }),
      exponent: fc.integer({ min: 7, max: 13 }),
    })
    .map(({ blocks, exponent }) => ({
      what: `${blocks} run-length blocks`,
      body: zstdRleBomb(blocks, { windowDescriptor: exponent << 3 }),
      statuses: [413],
    })),
  // A declared content size within the limit, with more run-length output than it declares.
  fc
    .record({ size: fc.integer({ min: 0, max: 4 * BLOCK }), extra: fc.integer({ min: 1, max: 40 }) })
    .map(({ size, extra }) => ({
      what: `content size ${size} with more blocks`,
      body: zstdRleBomb(Math.ceil(size / BLOCK) + extra, { contentSize: size, windowDescriptor: 0x38 }),
      statuses: [400],
    })),
  // Truncated anywhere inside the last frame.
  fc
    .tuple(validZstd, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }))
    .filter(([valid]) => valid.frames[valid.lastFrame]?.[0] === 0x28)
    .map(([valid, at]) => {
      const last = valid.frames[valid.lastFrame] as Buffer;
      const start = valid.body.byteLength - last.byteLength;
      return {
        what: "truncated",
        // At least one byte of the last frame stays (without it the body could be complete).
        body: valid.body.subarray(0, start + 1 + Math.floor(at * (last.byteLength - 1))),
        statuses: [400],
      };
    }),
  // Trailing bytes that are no frame.
  fc
    .tuple(validZstd, fc.uint8Array({ minLength: 1, maxLength: 16 }))
    .filter(([, junk]) => junk[0] !== 0x28 && (junk[0] ?? 0) >> 4 !== 0x5)
    .map(([valid, junk]) => ({
      what: "trailing bytes",
      body: Buffer.concat([valid.body, junk]),
      statuses: [400],
    })),
  // Reserved bit, reserved block type, dictionary, a block larger than the window allows, a
  // compressed block whose bytes are not zstd.
  fc
    .record({
      flaw: fc.constantFrom("reserved-bit", "reserved-block", "dictionary", "oversized-block", "junk-block"),
      dictionaryId: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
    })
    .map(({ flaw, dictionaryId }) => {
      const blocks: ZstdBlock[] = [{ type: "raw", data: TURN }];
      const spec: ZstdFrameSpec =
        flaw === "reserved-bit"
          ? { blocks, reservedBit: true }
          : flaw === "reserved-block"
            ? { blocks: [{ type: "reserved", size: 10 }, ...blocks] }
            : flaw === "dictionary"
              ? { blocks, dictionaryId }
              : flaw === "oversized-block"
                ? { blocks: [{ type: "rle", byte: 0x20, size: 2048 }, ...blocks], windowDescriptor: 0 }
                : { blocks: [{ type: "compressed", size: 40 }] };
      return { what: flaw, body: zstdFrame(spec), statuses: [400] };
    }),
  // More frames than the gateway walks.
  fc.nat({ max: 15 }).map((nibble) => ({
    what: "too many frames",
    body: Buffer.concat([
      ...Array.from({ length: ZSTD_MAX_FRAMES + 1 }, () => zstdSkippableFrame(new Uint8Array(), nibble)),
      zstdFrame({ blocks: [{ type: "raw", data: TURN }] }),
    ]),
    statuses: [400],
  })),
  // A zstd body under another encoding's name, or a name the gateway does not decode.
  fc.tuple(validZstd, fc.constantFrom("gzip", "x-gzip", "deflate", "br")).map(([valid, encoding]) => ({
    what: `zstd as ${encoding}`,
    body: valid.body,
    encoding,
    statuses: [400],
  })),
  fc
    .tuple(
      validZstd,
      fc.constantFrom("zstd, gzip", "gzip, zstd", "zstd,zstd", "x-zstd", "zstandard", "compress"),
    )
    .map(([valid, encoding]) => ({
      what: `zstd as ${encoding}`,
      body: valid.body,
      encoding,
      statuses: [415],
    })),
);

/** gzip members of 8 MiB of zeros each (a multi-member gzip body of `members` × 8 MiB, ~8 KiB each). */
const zeroMember = gzipSync(Buffer.alloc(8 * MiB), { level: 9 });
const gzipBomb = (members: number) => Buffer.concat(Array.from({ length: members }, () => zeroMember));

const zlibEncoders: Record<string, (data: Uint8Array) => Buffer> = {
  gzip: (d) => gzipSync(d),
  deflate: (d) => deflateSync(d),
  "deflate (raw)": (d) => deflateRawSync(d),
  br: (d) => brotliCompressSync(d),
};
const headerName = (name: string) => name.replace(" (raw)", "");

/** gzip, deflate and br: whole, split into gzip members, truncated, bombs. */
const otherEncodings: fc.Arbitrary<Case> = fc.oneof(
  fc.constantFrom(...Object.keys(zlibEncoders)).map((name) => ({
    what: `${name} whole`,
    body: (zlibEncoders[name] as (d: Uint8Array) => Buffer)(TURN),
    encoding: headerName(name),
    statuses: [200],
  })),
  fc.uniqueArray(fc.integer({ min: 1, max: TURN.length - 1 }), { minLength: 1, maxLength: 4 }).map((cuts) => {
    const points = [0, ...cuts.sort((a, b) => a - b), TURN.length];
    const members = points.slice(1).map((end, i) => gzipSync(TURN.subarray(points[i], end)));
    return { what: "gzip members", body: Buffer.concat(members), encoding: "gzip", statuses: [200] };
  }),
  fc
    .tuple(
      fc.constantFrom(...Object.keys(zlibEncoders)),
      fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
    )
    .map(([name, at]) => {
      const whole = (zlibEncoders[name] as (d: Uint8Array) => Buffer)(TURN);
      return {
        what: `${name} truncated`,
        body: whole.subarray(0, Math.floor(at * whole.byteLength)),
        encoding: headerName(name),
        statuses: [400],
      };
    }),
  fc.integer({ min: MAX / (8 * MiB) + 1, max: 64 }).map((members) => ({
    what: `gzip bomb of ${members * 8} MiB`,
    body: gzipBomb(members),
    encoding: "gzip",
    statuses: [413],
  })),
);

describe("compressed bodies on the local host", () => {
  let gw: TestGateway;
  let seeded: Seeded;

  beforeAll(async () => {
    gw = await startTestGateway({ POOLER_SSE_KEEPALIVE_MS: "0" });
    seeded = await gw.seed({ accounts: 2 });
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
  });

  const send = (body: Uint8Array, encoding: string) => postEncoded(gw.url, seeded.key, body, encoding);

  it("decodes valid zstd however it is framed: frames with and without sizes, skippable frames, whitespace runs", async () => {
    await fc.assert(
      fc.asyncProperty(validZstd, async ({ body }) => {
        const response = await send(body, "zstd");
        const text = await response.text();
        expect(response.status, text.slice(0, 300)).toBe(200);
        expect(text).toContain("response.completed");
      }),
      { numRuns: 30 },
    );
  }, 60_000);

  it("refuses hostile zstd before decoding it: 400, 413 or 415 as the case says, memory bounded", async () => {
    const before = peakRss();
    await fc.assert(
      fc.asyncProperty(hostileZstd, async ({ what, body, encoding, statuses }) => {
        await expectRefused(await send(body, encoding ?? "zstd"), statuses, what);
      }),
      { numRuns: 150 },
    );
    // The largest declared size is 2^52 bytes, the largest window 3.75 TB: none was allocated.
    expect(peakRss() - before).toBeLessThan(256 * MiB);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  }, 120_000);

  it("gzip, deflate and br: whole and multi-member bodies decode, truncated ones are 400, bombs stop at the limit", async () => {
    await fc.assert(
      fc.asyncProperty(otherEncodings, async ({ what, body, encoding, statuses }) => {
        const response = await send(body, encoding ?? "gzip");
        if (statuses.includes(200)) {
          const text = await response.text();
          expect(response.status, `${what}: ${text.slice(0, 300)}`).toBe(200);
          return;
        }
        await expectRefused(response, statuses, what);
      }),
      { numRuns: 30 },
    );
  }, 120_000);

  it("refuses a zstd frame that declares the window the gateway allows plus one byte, and decodes one at the limit", async () => {
    // 8 MiB exactly (exponent 13, mantissa 0) is accepted; 9 MiB (mantissa 1) is not.
    const at = zstdFrame({ windowDescriptor: 13 << 3, blocks: [{ type: "raw", data: TURN }] });
    const over = zstdFrame({ windowDescriptor: (13 << 3) | 1, blocks: [{ type: "raw", data: TURN }] });
    const ok = await send(at, "zstd");
    expect(ok.status).toBe(200);
    await ok.text();
    const refused = await send(over, "zstd");
    const body = await refused.clone().json();
    await expectRefused(refused, [413], "9 MiB window");
    expect(body.error.message).toContain(String(ZSTD_MAX_WINDOW_BYTES));
  });

  it("bounds block-by-block work: a sized frame of many empty blocks decodes in one go, an unsized one is refused", async () => {
    // 9 MiB of whitespace after the turn as one single-segment frame: its window is its size, over
    // the 8 MiB a streamed frame may have, so it is decoded in one go into a buffer of that size.
    const spaces = runBlocks(0x20, 9 * MiB);
    const content: ZstdBlock[] = [{ type: "raw", data: TURN }, ...spaces];
    const large = await send(
      zstdFrame({ singleSegment: true, contentSize: contentOf(content), blocks: content }),
      "zstd",
    );
    expect(large.status).toBe(200);
    await large.text();

    // 100,000 empty blocks behind an 8 MiB window would move the window 100,000 times.
    const empty: ZstdBlock[] = Array.from({ length: 100_000 }, () => ({
      type: "raw",
      data: new Uint8Array(),
    }));
    const blocks: ZstdBlock[] = [{ type: "raw", data: TURN }, ...empty];
    const sized = await send(
      zstdFrame({ windowDescriptor: 13 << 3, contentSize: TURN.length, blocks }),
      "zstd",
    );
    expect(sized.status).toBe(200);
    await sized.text();
    const unsized = await send(zstdFrame({ windowDescriptor: 13 << 3, blocks }), "zstd");
    await expectRefused(unsized, [413], "unsized, 100,000 blocks");
  });

  describe("admin API body limit", () => {
    const adminPost = (body: BodyInit | Uint8Array, headers: Record<string, string> = {}) =>
      fetch(`${gw.url}/admin/v1/pools`, {
        method: "POST",
        headers: { authorization: `Bearer ${gw.adminToken}`, "content-type": "application/json", ...headers },
        body: body instanceof Uint8Array ? new Uint8Array(body) : body,
        duplex: "half",
      } as RequestInit);

    it("refuses a declared 40 MiB body from its content-length, before reading it", async () => {
      // The rest never comes: the declared size alone is refused.
      const declared = await postDeclaredLength(
        `${gw.url}/admin/v1/pools`,
        { authorization: `Bearer ${gw.adminToken}`, "content-type": "application/json" },
        40 * MiB,
        '{"name":"',
      );
      await expectRefused(new Response(declared.body, { status: declared.status }), [413], "declared");
      expect(JSON.parse(declared.body).error.code).toBe("request_too_large");
    });

    it("cuts a streamed body at the limit, and a compressed one at the decoded limit", async () => {
      let sent = 0;
      const chunk = new Uint8Array(MiB).fill(0x20);
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 40 * MiB) return controller.close();
          sent += chunk.length;
          controller.enqueue(chunk);
        },
      });
      const streamed = await adminPost(stream);
      await expectRefused(streamed, [413], "streamed");
      expect(sent).toBeLessThan(40 * MiB);

      // 8 MiB of JSON whitespace in 8 KiB of gzip: refused once it decodes past the limit.
      const bomb = await adminPost(gzipSync(Buffer.alloc(8 * MiB, 0x20)), { "content-encoding": "gzip" });
      await expectRefused(bomb, [413], "gzip");

      // A body at the limit is read and answered as usual.
      const name = `p${Date.now().toString(36)}`;
      const padded = `{"name":"${name}"}`.padEnd(ADMIN_MAX_BODY_BYTES, " ");
      const ok = await adminPost(padded);
      expect(ok.status, await ok.clone().text()).toBe(201);
    });

    it("reads an optional action body within the limit and refuses a larger one", async () => {
      const evaluate = (body: string) =>
        fetch(`${gw.url}/admin/v1/alerts/evaluate`, {
          method: "POST",
          headers: { authorization: `Bearer ${gw.adminToken}`, "content-type": "application/json" },
          body,
        });
      const empty = await evaluate("");
      expect(empty.status, await empty.clone().text()).toBeLessThan(300);
      await expectRefused(await evaluate(" ".repeat(ADMIN_MAX_BODY_BYTES + 1)), [413], "evaluate");
    });
  });
});

describe("the 100-byte zstd frame that declares a 1 GB window, on a spawned gateway", () => {
  let fake: FakeUpstream;
  let proc: PoolerProcess | undefined;

  beforeAll(async () => {
    fake = await startFakeUpstream();
  });

  afterAll(async () => {
    proc?.kill();
    await fake?.close();
  });

  it("three at once: each a 413, /healthz answers meanwhile, peak RSS stays put, turns still work", async () => {
    proc = spawnPooler(poolerEnv(fake, scratchDir("zstd-window")));
    const url = await proc.listening();
    const admin = adminClient(url, proc.bootstrapToken() as string);
    const seeded = await seedThroughAdmin(admin, fake, "zstd", 1);
    const pid = proc.child.pid as number;
    const turn = (body: Uint8Array, encoding = "zstd") => postEncoded(url, seeded.key, body, encoding);
    // Warm: one zstd turn and one gzip bomb, so the baseline holds what a normal refusal costs.
    const warm = await turn(zstdFrame({ blocks: [{ type: "raw", data: TURN }] }));
    expect(warm.status).toBe(200);
    await warm.text();
    await expectRefused(await turn(gzipBomb(10), "gzip"), [413], "warm gzip bomb");
    const before = peakRss(pid);

    // Single segment, a 1 GB content size (so a 1 GB window), 20 run-length blocks: 2.5 MB of output.
    const attack = zstdRleBomb(20, { singleSegment: true, contentSize: 1_000_000_000 });
    expect(attack.byteLength).toBeLessThan(100);
    let settled = false;
    const attacks = Promise.all([1, 2, 3].map(() => turn(attack))).finally(() => {
      settled = true;
    });
    // /healthz on fresh connections for as long as the attacks are in flight (each gives up after 5 s).
    const health: unknown[] = [];
    do health.push(await freshGet(`${url}/healthz`));
    while (!settled);
    for (const answer of health) expect(answer, "healthz during the attack").toMatchObject({ status: 200 });
    for (const response of await attacks) await expectRefused(response, [413], "attack");

    expect(peakRss(pid) - before).toBeLessThan(128 * MiB);
    const after = await turn(zstdFrame({ blocks: [{ type: "raw", data: TURN }] }));
    expect(after.status).toBe(200);
    await after.text();
    expect(proc.child.exitCode).toBeNull();
  }, 90_000);
});

describe("configured body limits", () => {
  it("holds a runtime route to POOLER_MAX_BODY_BYTES and POOLER_MAX_COMPRESSED_BODY_BYTES", async () => {
    const small = await startTestGateway({
      POOLER_MAX_BODY_BYTES: String(MiB),
      POOLER_MAX_COMPRESSED_BODY_BYTES: String(256 * 1024),
    });
    try {
      const seeded = await small.seed({ accounts: 1 });
      const send = (body: Buffer, headers: Record<string, string> = {}) =>
        fetch(`${small.url}/backend-api/codex/responses`, {
          method: "POST",
          headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json", ...headers },
          body: new Uint8Array(body),
        });
      // Padding inside the JSON (an unknown field goes upstream unchanged).
      const padded = (bytes: number) =>
        Buffer.from(JSON.stringify({ ...TEXT_TURN_BODY, padding: "x".repeat(bytes) }));
      await expectRefused(await send(padded(MiB + 1)), [413], "decoded over 1 MiB");
      await expectRefused(
        await send(gzipSync(padded(2 * MiB)), { "content-encoding": "gzip" }),
        [413],
        "inflates past 1 MiB",
      );
      const incompressible = randomBytes(300 * 1024);
      await expectRefused(
        await send(incompressible, { "content-encoding": "gzip" }),
        [413],
        "received over 256 KiB",
      );
      // Under both limits the turn is served.
      const ok = await send(gzipSync(padded(512 * 1024)), { "content-encoding": "gzip" });
      expect(ok.status).toBe(200);
      await ok.text();
    } finally {
      await small.stop();
    }
  });
});

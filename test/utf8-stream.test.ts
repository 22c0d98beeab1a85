// The relay's chunked UTF-8 decoding: the same text as a streaming TextDecoder for any bytes, valid or
// not, cut anywhere (inside a character too), and a chunk's complete characters at once.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { utf8Bytes, utf8Stream } from "../src/core/support/utf8-stream.ts";

/** Bytes that stress the boundaries: ASCII, every kind of lead byte, continuation bytes, real characters. */
const interesting = fc.oneof(
  fc.constantFrom(
    0x41,
    0x0a,
    0x7f,
    0x80,
    0xbf,
    0xc0,
    0xc2,
    0xdf,
    0xe0,
    0xe2,
    0xed,
    0xef,
    0xf0,
    0xf4,
    0xf8,
    0xff,
  ),
  fc.integer({ min: 0, max: 255 }),
);
const text = fc.string({ unit: "binary", maxLength: 40 }).map((s) => [...new TextEncoder().encode(s)]);
const bytes = fc
  .array(
    fc.oneof(
      interesting.map((b) => [b]),
      text,
    ),
    { maxLength: 30 },
  )
  .map((parts) => Uint8Array.from(parts.flat()));

function cutAt(all: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, all.length]) {
    chunks.push(all.subarray(from, point));
    from = point;
  }
  return chunks;
}

describe("utf8Stream", () => {
  it("gives the streaming decoder's text for any bytes and any cuts", () => {
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 8 }), (all, cuts) => {
        // A final newline lets both finish what they hold, as an SSE stream's last bytes do.
        const chunks = [...cutAt(all, cuts), Uint8Array.of(0x0a)];
        const decode = utf8Stream();
        const streaming = new TextDecoder();
        const ours = chunks.map((chunk) => decode(chunk)).join("");
        const theirs = chunks.map((chunk) => streaming.decode(chunk, { stream: true })).join("");
        expect(ours).toBe(theirs);
      }),
      { numRuns: 2000 },
    );
  });

  it("holds back only a character cut at the chunk's end", () => {
    const decode = utf8Stream();
    const euro = new TextEncoder().encode("a€b"); // 61 e2 82 ac 62
    expect(decode(euro.subarray(0, 3))).toBe("a");
    expect(decode(euro.subarray(3, 4))).toBe("€");
    expect(decode(euro.subarray(4))).toBe("b");
    expect(decode(new TextEncoder().encode("data: x\n\n"))).toBe("data: x\n\n");
  });

  it("drops a byte-order mark at the stream's start only", () => {
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf, 0x61);
    const decode = utf8Stream();
    expect(decode(bom.subarray(0, 2))).toBe("");
    expect(decode(bom.subarray(2))).toBe("a");
    expect(decode(bom)).toBe("\ufeffa");
  });

  it("keeps each stream's state its own when streams interleave", () => {
    fc.assert(
      fc.property(bytes, bytes, fc.array(fc.nat(), { maxLength: 6 }), (a, b, cuts) => {
        const alone = (all: Uint8Array) => {
          const decode = utf8Stream();
          return cutAt(all, cuts)
            .map((chunk) => decode(chunk))
            .join("");
        };
        const [one, two] = [utf8Stream(), utf8Stream()];
        const [chunksA, chunksB] = [cutAt(a, cuts), cutAt(b, cuts)];
        let textA = "";
        let textB = "";
        for (let i = 0; i < Math.max(chunksA.length, chunksB.length); i++) {
          if (chunksB[i]) textB += two(chunksB[i] as Uint8Array);
          if (chunksA[i]) textA += one(chunksA[i] as Uint8Array);
        }
        expect([textA, textB]).toEqual([alone(a), alone(b)]);
      }),
      { numRuns: 500 },
    );
  });
});

describe("utf8Bytes", () => {
  it("writes the bytes TextEncoder writes, lone surrogates included", () => {
    const encoder = new TextEncoder();
    const units = fc.oneof(
      fc.string({ unit: "binary", maxLength: 60 }),
      // Lone and reversed surrogate halves, beside ASCII and multi-byte characters.
      fc
        .array(fc.constantFrom("a", "\n", "é", "€", "😀", "\ud800", "\udfff", "\udc00\ud83d"), {
          maxLength: 30,
        })
        .map((parts) => parts.join("")),
    );
    fc.assert(
      fc.property(units, (s) => {
        expect([...utf8Bytes(s)]).toEqual([...encoder.encode(s)]);
      }),
      { numRuns: 500 },
    );
    // Long enough to leave Node's pool.
    const long = "x€😀\ud800".repeat(2000);
    expect(Buffer.compare(utf8Bytes(long), encoder.encode(long))).toBe(0);
  });
});

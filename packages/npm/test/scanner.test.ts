import * as fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Base64Decoder, scanPublishDocument } from "@regkit/npm";

/** Splits bytes at the given cut points. */
function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    parts.push(bytes.subarray(at, p));
    at = p;
  }
  parts.push(bytes.subarray(at));
  return parts;
}

async function scan(chunks: Buffer[]): Promise<{ doc: unknown; files: Record<string, Buffer> }> {
  const files: Record<string, Buffer> = {};
  const doc = await scanPublishDocument(
    (async function* () {
      yield* chunks;
    })(),
    (file) => {
      const parts: Buffer[] = [];
      return {
        write: async (b) => void parts.push(Buffer.from(b)),
        end: async () => {
          files[file] = Buffer.concat(parts);
        },
      };
    },
  );
  return { doc, files };
}

describe("publish document scanner", () => {
  test("equals JSON.parse plus base64 decoding, whatever the chunk boundaries", async () => {
    const json = fc.jsonValue({ maxDepth: 2 });
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== "_attachments"), json, { maxKeys: 4 }),
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (rest, file, tarball, cuts) => {
          const data = Buffer.from(tarball).toString("base64");
          const document = { ...rest, _attachments: { [file]: { content_type: "application/octet-stream", data, length: tarball.length } } };
          const { doc, files } = await scan(split(Buffer.from(JSON.stringify(document)), cuts));
          const expected = JSON.parse(JSON.stringify(document)) as { _attachments: Record<string, { data: string }> };
          expected._attachments[file]!.data = "";
          expect(doc).toEqual(expected);
          expect(files[file]?.equals(Buffer.from(tarball))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a truncated document is refused, not half-accepted", async () => {
    const body = Buffer.from(JSON.stringify({ name: "a", _attachments: { "a-1.0.0.tgz": { data: "AAAA" } } }));
    await expect(scan([body.subarray(0, body.length - 3)])).rejects.toThrow(/ended early/);
  });

  test("base64 decoding carries partial quads across chunks", () => {
    const decoder = new Base64Decoder();
    const bytes = Buffer.from("regkit streams base64");
    const text = bytes.toString("base64");
    const out = Buffer.concat([decoder.decode(text.slice(0, 5)), decoder.decode(text.slice(5, 7)), decoder.decode(text.slice(7)), decoder.end()]);
    expect(out.equals(bytes)).toBe(true);
  });

  test("base64 split anywhere, with or without line breaks, decodes to the same bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        (bytes, cuts, wrapped) => {
          const plain = Buffer.from(bytes).toString("base64");
          // Some encoders wrap base64 at 76 columns; the decoder must skip the breaks.
          const text = wrapped ? (plain.match(/.{1,76}/g) ?? []).join("\r\n") : plain;
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const decoder = new Base64Decoder();
          const parts: Buffer[] = [];
          let from = 0;
          for (const point of [...points, text.length]) {
            parts.push(decoder.decode(text.slice(from, point)));
            from = point;
          }
          parts.push(decoder.end());
          expect(Buffer.concat(parts).equals(Buffer.from(bytes))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

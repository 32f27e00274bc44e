// Unit tests of the npm kit: what the adapter's `files` reads from a packument
// (per version, the tarball's file name from dist.tarball and the digests dist
// announces), and the reference registry's streaming publish document scanner.
import * as fc from "fast-check";
import { describe, expect, test } from "vitest";
import { integrityOf, listedFile, tarballFile, type NpmManifest } from "@regkit/npm";
import { Base64Decoder, scanPublishDocument } from "@regkit/npm/reference";

const sha1 = "a".repeat(40);
const sha512 = "b".repeat(128);
const manifest = (tarball: unknown, dist: Record<string, unknown> = {}): NpmManifest =>
  ({ name: "x", version: "1.0.0", dist: { tarball, shasum: sha1, ...dist } }) as unknown as NpmManifest;

describe("the file a dist.tarball names", () => {
  test("GitLab repeats the scope, Verdaccio leaves it out: both name @scope/pkg-1.0.0.tgz", () => {
    expect(tarballFile("@s/pkg", "https://gitlab.example/api/v4/projects/7/packages/npm/@s/pkg/-/@s/pkg-1.0.0.tgz")).toBe("@s/pkg-1.0.0.tgz");
    expect(tarballFile("@s/pkg", "http://127.0.0.1:4873/@s%2fpkg/-/pkg-1.0.0.tgz")).toBe("@s/pkg-1.0.0.tgz");
    expect(tarballFile("pkg", "http://127.0.0.1:4873/pkg/-/pkg-1.0.0-rc.1.tgz")).toBe("pkg-1.0.0-rc.1.tgz");
  });
  test("another version's file is another file; a relative URL names none", () => {
    expect(tarballFile("pkg", "http://r/pkg/-/pkg-1.0.1.tgz")).not.toBe("pkg-1.0.0.tgz");
    expect(tarballFile("pkg", "/pkg/-/pkg-1.0.0.tgz")).toBeUndefined();
  });
});

describe("a version's listed file", () => {
  test("sha1 from dist.shasum; sha512 only when dist.integrity is there (GitLab serves none)", () => {
    expect(listedFile("pkg", "1.0.0", manifest("http://r/pkg/-/pkg-1.0.0.tgz"))).toEqual({ version: "1.0.0", filename: "pkg-1.0.0.tgz", digests: { sha1 } });
    expect(listedFile("pkg", "1.0.0", manifest("http://r/pkg/-/pkg-1.0.0.tgz", { integrity: integrityOf(sha512) }))?.digests).toEqual({ sha1, sha512 });
    expect(listedFile("pkg", "1.0.0", manifest("http://r/pkg/-/pkg-1.0.0.tgz", { shasum: sha1.toUpperCase() }))?.digests).toEqual({ sha1 });
  });
  test("a version without dist.tarball lists no file", () => {
    expect(listedFile("pkg", "1.0.0", manifest(undefined))).toBeUndefined();
    expect(listedFile("pkg", "1.0.0", { name: "pkg", version: "1.0.0" } as unknown as NpmManifest)).toBeUndefined();
  });
});

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

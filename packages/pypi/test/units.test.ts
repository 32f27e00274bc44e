import * as fc from "fast-check";
import { describe, expect, test } from "vitest";
import { caseSpellings, escapeHtml, normalizeName, parseDistFilename, parseSimpleHtml, parseSimpleJson, spellings, unescapeHtml } from "@regkit/pypi";
import { pep691Requested } from "@regkit/pypi/reference";

describe("PyPI parsing", () => {
  test("escape and unescape round trip; anchors keep their attributes", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(unescapeHtml(escapeHtml(s))).toBe(s);
      }),
    );
    const html = `<a href="../../files/ab/x-1.0.tar.gz#sha256=${"a".repeat(64)}" data-requires-python="&gt;=3.8,&lt;4">x-1.0.tar.gz</a><a href='y.whl' data-yanked>y.whl</a>`;
    const [x, y] = parseSimpleHtml(html, "http://h/api/simple/x/");
    expect(x).toMatchObject({ filename: "x-1.0.tar.gz", url: "http://h/api/files/ab/x-1.0.tar.gz", sha256: "a".repeat(64), requiresPython: ">=3.8,<4", yanked: false });
    expect(y).toMatchObject({ filename: "y.whl", url: "http://h/api/simple/x/y.whl", yanked: true });
  });

  test("PEP 503 normalization and every spelling normalizes back", () => {
    expect(normalizeName("Foo.Bar__baz--Q")).toBe("foo-bar-baz-q");
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]+([-_.]+[A-Za-z0-9]+){0,3}$/), (name) => {
        for (const s of spellings(name)) expect(normalizeName(s)).toBe(normalizeName(name));
      }),
    );
    expect(parseDistFilename("regkit_x-1.0rc1-py3-none-any.whl")).toEqual({ name: "regkit_x", version: "1.0rc1", kind: "wheel" });
    expect(parseDistFilename("regkit_x-2!1.0.post1.tar.gz")).toEqual({ name: "regkit_x", version: "2!1.0.post1", kind: "sdist" });
  });

  test("case spellings keep the normalized separators", () => {
    expect(caseSpellings("Foo.Bar_baz")).toEqual(["FOO-BAR-BAZ", "fOo-bAr-bAz"]);
    for (const s of caseSpellings("a.b")) expect(s.toLowerCase()).toBe(normalizeName(s));
  });

  test("PEP 691 JSON is asked for as GitLab reads Accept: any entry starting with a JSON type, q-values not read", () => {
    expect(pep691Requested("application/vnd.pypi.simple.v1+json")).toBe(true);
    expect(pep691Requested("text/html, application/vnd.pypi.simple.latest+json;q=0")).toBe(true);
    expect(pep691Requested("application/vnd.pypi.simple.v1+html")).toBe(false);
    expect(pep691Requested("text/html")).toBe(false);
    expect(pep691Requested(undefined)).toBe(false);
  });

  test("a PEP 691 url with a #sha256= fragment: the fragment leaves the URL", () => {
    const sha = "b".repeat(64);
    const [withHashes, fragmentOnly] = parseSimpleJson(
      {
        files: [
          { filename: "x-1.0.tar.gz", url: `http://h/api/files/${sha}/x-1.0.tar.gz#sha256=${sha}`, hashes: { sha256: sha } },
          { filename: "x-1.0-py3-none-any.whl", url: `../../files/${sha}/x.whl#sha256=${sha.toUpperCase()}` },
        ],
      },
      "http://h/api/simple/x/",
    );
    expect(withHashes).toMatchObject({ url: `http://h/api/files/${sha}/x-1.0.tar.gz`, sha256: sha });
    expect(fragmentOnly).toMatchObject({ url: `http://h/api/files/${sha}/x.whl`, sha256: sha });
  });
});

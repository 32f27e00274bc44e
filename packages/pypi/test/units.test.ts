import * as fc from "fast-check";
import { describe, expect, test } from "vitest";
import { escapeHtml, negotiate, normalizeName, parseDistFilename, parseSimpleHtml, spellings, unescapeHtml } from "@regkit/pypi";

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

  test("PEP 691 negotiation honours q-values", () => {
    expect(negotiate("application/vnd.pypi.simple.v1+json")).toBe("json");
    expect(negotiate("application/vnd.pypi.simple.v1+json;q=0.2, text/html")).toBe("html");
    expect(negotiate("text/html")).toBe("html");
    expect(negotiate(undefined)).toBe("html");
    expect(negotiate("image/png")).toBeUndefined();
  });
});

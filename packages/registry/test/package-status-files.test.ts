// GitLab's Packages API beyond list/show/delete, as the reference registry
// serves it: the package status filter of `GET /projects/:id/packages`, and
// `/projects/:id/packages/:package_id/package_files` (list and delete), with
// the file id the format hands out on upload (`ReferenceRequest.packageFileId`).
//
// GitLab's answers pinned here are read from its source (GitLab 18.x):
// app/models/packages/package.rb (status enum, DISPLAYABLE_STATUSES,
// DETAILED_INFO_STATUSES), app/finders/packages/finder_helper.rb
// #filter_by_status, lib/api/project_packages.rb (`optional :status, values:
// Packages::Package.statuses.keys`), spec/requests/api/project_packages_spec.rb
// ('when package has no default status' -> 404), lib/api/package_files.rb and
// lib/api/entities/package_file.rb.
import type { ReferenceFormat, ReferenceRoute } from "@regkit/registry/contract";
import type { ReferenceRegistry } from "@regkit/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, sha256, startRegistry, tempDir } from "./helpers.js";

/**
 * A small format whose versions carry a status: `PUT /:name/:version/:file?status=X`
 * stores it per version (as GitLab's Generic upload does), `listed` hands it
 * to the Packages API, and the upload answers the file's id.
 */
function statusFormat(segment: string, checksums?: ReferenceFormat["packageFileChecksums"]): ReferenceFormat {
  const statusesOf = (metadata: Readonly<Record<string, unknown>>): Record<string, string> => {
    const value = metadata.statuses;
    const out: Record<string, string> = {};
    if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
    return out;
  };
  const routes: ReferenceRoute[] = [
    {
      method: "PUT",
      path: "/:name/:version/:file",
      access: "write",
      handle: async (req) => {
        const { name = "", version = "", file = "" } = req.params;
        const status = req.query.get("status");
        const staged = await req.store.stage(req.body, req.limits.maxFileSize);
        await req.store.commit({
          name,
          version,
          files: [{ filename: file, staged }],
          metadata: {},
          duplicates: "allow",
          update: (metadata) => (status === null ? metadata : { ...metadata, statuses: { ...statusesOf(metadata), [version]: status } }),
        });
        const stored = await req.store.open(name, version, file);
        if (!stored) return { status: 404 };
        return { status: 201, body: { id: req.packageFileId(name, version, stored), package_id: req.packageId(name, version) } };
      },
    },
    {
      method: "GET",
      path: "/:name/:version/:file",
      access: "read",
      handle: async (req) => {
        const stored = await req.store.open(req.params.name ?? "", req.params.version ?? "", req.params.file ?? "");
        return stored ? { status: 200, body: stored.stream() } : { status: 404, body: { message: "404 Not found" } };
      },
    },
  ];
  return {
    segment,
    auth: ["headers", "basic"],
    policies: { duplicates: "allow", duplicateStatus: [400] },
    limits: { maxFileSize: 1024 * 1024 },
    routes,
    listed: (pkg, version) => ({ name: pkg.name, version, status: statusesOf(pkg.metadata)[version] }),
    packageFileChecksums: checksums,
  };
}

const STATUSES = ["default", "hidden", "processing", "error", "pending_destruction", "deprecated"] as const;

interface Listed {
  id: number;
  name: string;
  version: string;
  status: string;
}

interface FileRecord {
  id: number;
  package_id: number;
  created_at: string;
  file_name: string;
  size: number;
  file_md5: string | null;
  file_sha1: string | null;
  file_sha256: string | null;
}

let registry: ReferenceRegistry;
let api: string;
let personal: Record<string, string>;

beforeAll(async () => {
  registry = await startRegistry({ formats: [statusFormat("statusy"), statusFormat("shaonly", ["sha256"])] });
  api = `${registry.url}/api/v4/projects/1/packages`;
  personal = { "private-token": registry.tokens.personal };
  // One version per status, and one uploaded without any (default).
  for (const status of STATUSES) {
    const res = await call(`${api}/statusy/st-pkg/${status}/f.txt?status=${status}`, { method: "PUT", headers: personal, body: `status ${status}` });
    expect(res.status).toBe(201);
  }
  expect((await call(`${api}/statusy/st-pkg/none/f.txt`, { method: "PUT", headers: personal, body: "no status" })).status).toBe(201);
});

afterAll(async () => {
  await registry.close();
});

const list = async (query: string) => {
  const res = await call(`${api}?package_name=st-pkg&per_page=100&${query}`, { headers: personal });
  return { status: res.status, text: res.text, items: res.status === 200 ? (res.json() as Listed[]) : [] };
};
const idOf = async (version: string, status: string): Promise<number> => {
  const [found] = (await list(`status=${status}`)).items.filter((p) => p.version === version);
  expect(found, `${version} listed with status=${status}`).toBeDefined();
  return found!.id;
};

describe("GET /projects/:id/packages: the status filter", () => {
  it("without status lists only GitLab's displayable statuses (default, error, deprecated), each shown as stored", async () => {
    const { status, items } = await list("");
    expect(status).toBe(200);
    expect(items.map((p) => `${p.version}:${p.status}`).sort()).toEqual(["default:default", "deprecated:deprecated", "error:error", "none:default"]);
  });

  it("with status=X lists only the versions in X, for every status GitLab has", async () => {
    for (const wanted of STATUSES) {
      const { status, items } = await list(`status=${wanted}`);
      expect(status, wanted).toBe(200);
      const expected = wanted === "default" ? ["default", "none"] : [wanted];
      expect(items.map((p) => p.version).sort(), wanted).toEqual(expected);
      expect(items.every((p) => p.status === wanted), wanted).toBe(true);
    }
  });

  it("an empty status is no status (Rails' present?); a status GitLab lacks is Grape's 400", async () => {
    expect((await list("status=")).items.map((p) => p.version).sort()).toEqual(["default", "deprecated", "error", "none"]);
    const bad = await list("status=visible");
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toEqual({ error: "status does not have a valid value" });
  });

  it("one package by id: 200 for default and deprecated, 404 for error (GitLab's spec) and for hidden", async () => {
    for (const [version, expected] of [["default", 200], ["deprecated", 200], ["error", 404], ["hidden", 404], ["processing", 404]] as const) {
      const res = await call(`${api}/${await idOf(version, version)}`, { headers: personal });
      expect(res.status, version).toBe(expected);
      if (expected === 200) expect((res.json() as Listed).status).toBe(version);
    }
  });

  it("a hidden version cannot be deleted by id (PackageFinder looks in the displayable ones) and stays downloadable", async () => {
    const id = await idOf("hidden", "hidden");
    expect((await call(`${api}/${id}`, { method: "DELETE", headers: personal })).status).toBe(404);
    expect((await call(`${api}/statusy/st-pkg/hidden/f.txt`, { headers: personal })).text).toBe("status hidden");
  });
});

describe("GET /projects/:id/packages/:package_id/package_files", () => {
  const files = async (packageId: number, query = "") => {
    const res = await call(`${api}/${packageId}/package_files?${query}`, { headers: personal });
    return { ...res, items: res.status === 200 ? (res.json() as FileRecord[]) : [] };
  };

  it("lists the version's files with GitLab's fields, and the id the upload answered", async () => {
    const up1 = (await call(`${api}/statusy/files-pkg/1.0.0/a.txt`, { method: "PUT", headers: personal, body: "alpha" })).json() as { id: number; package_id: number };
    const up2 = (await call(`${api}/statusy/files-pkg/1.0.0/b.txt`, { method: "PUT", headers: personal, body: "bravo!" })).json() as { id: number; package_id: number };
    expect(up1.package_id).toBe(up2.package_id);
    expect(up1.id).not.toBe(up2.id);
    const { status, items } = await files(up1.package_id);
    expect(status).toBe(200);
    // lib/api/entities/package_file.rb's fields, and nothing else (no pipelines: no CI build made these).
    expect(items.map((f) => Object.keys(f).sort())).toEqual([
      ["created_at", "file_md5", "file_name", "file_sha1", "file_sha256", "id", "package_id", "size"],
      ["created_at", "file_md5", "file_name", "file_sha1", "file_sha256", "id", "package_id", "size"],
    ]);
    expect(items.map((f) => [f.id, f.package_id, f.file_name, f.size, f.file_sha256])).toEqual([
      [up1.id, up1.package_id, "a.txt", 5, sha256("alpha")],
      [up2.id, up2.package_id, "b.txt", 6, sha256("bravo!")],
    ]);
    expect(items[0]!.file_md5).toMatch(/^[0-9a-f]{32}$/);
    expect(items[0]!.file_sha1).toMatch(/^[0-9a-f]{40}$/);
    expect(Number.isNaN(Date.parse(items[0]!.created_at))).toBe(false);
    // The same ids on every request.
    expect((await files(up1.package_id)).items.map((f) => f.id)).toEqual([up1.id, up2.id]);
  });

  it("shows null for the checksums the format's GitLab service does not fill", async () => {
    const up = (await call(`${api}/shaonly/sha-pkg/1.0.0/s.txt`, { method: "PUT", headers: personal, body: "sha only" })).json() as { id: number; package_id: number };
    const [file] = (await files(up.package_id)).items;
    expect(file).toMatchObject({ id: up.id, file_md5: null, file_sha1: null, file_sha256: sha256("sha only") });
  });

  it("pages like the package list: page, per_page, X-Total, X-Next-Page", async () => {
    let packageId = 0;
    for (const name of ["p1.txt", "p2.txt", "p3.txt"]) {
      packageId = ((await call(`${api}/statusy/paged-pkg/1.0.0/${name}`, { method: "PUT", headers: personal, body: name })).json() as { package_id: number }).package_id;
    }
    const first = await files(packageId, "per_page=2&page=1");
    expect(first.items.map((f) => f.file_name)).toEqual(["p1.txt", "p2.txt"]);
    expect(first.headers["x-total"]).toBe("3");
    expect(first.headers["x-next-page"]).toBe("2");
    const second = await files(packageId, "per_page=2&page=2");
    expect(second.items.map((f) => f.file_name)).toEqual(["p3.txt"]);
    expect(second.headers["x-next-page"]).toBe("");
  });

  it("a replaced file (duplicates allowed) gets a new id, as GitLab creates a new record", async () => {
    const first = (await call(`${api}/statusy/replace-pkg/1.0.0/r.txt`, { method: "PUT", headers: personal, body: "one" })).json() as { id: number; package_id: number };
    // A new creation time is what makes the new id: wait past the clock's millisecond.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = (await call(`${api}/statusy/replace-pkg/1.0.0/r.txt`, { method: "PUT", headers: personal, body: "two" })).json() as { id: number };
    expect(second.id).not.toBe(first.id);
    expect((await files(first.package_id)).items.map((f) => [f.id, f.file_sha256])).toEqual([[second.id, sha256("two")]]);
  });

  it("404 for an unknown package, another project's package, and a hidden one; 405 for other methods", async () => {
    expect((await files(999_999)).status).toBe(404);
    expect((await files(await idOf("hidden", "hidden"))).status).toBe(404);
    const up = (await call(`${api}/statusy/mine-pkg/1.0.0/m.txt`, { method: "PUT", headers: personal, body: "mine" })).json() as { package_id: number };
    const other = await call(`${registry.url}/api/v4/projects/2/packages/${up.package_id}/package_files`, { headers: { "private-token": registry.tokens.other.personal } });
    expect(other.status).toBe(404);
    expect((await call(`${api}/${up.package_id}/package_files`, { method: "POST", headers: personal, body: "x" })).status).toBe(405);
  });

  it("keeps the same file ids after a restart with a data directory", async () => {
    const dir = await tempDir();
    try {
      const first = await startRegistry({ formats: [statusFormat("statusy")], dataDir: dir.path, tokens: { personal: registry.tokens.personal } });
      const base = `${first.url}/api/v4/projects/1/packages`;
      const up = (await call(`${base}/statusy/kept-pkg/1.0.0/k.txt`, { method: "PUT", headers: personal, body: "kept" })).json() as { id: number; package_id: number };
      await first.close();
      const again = await startRegistry({ formats: [statusFormat("statusy")], dataDir: dir.path, tokens: { personal: registry.tokens.personal } });
      try {
        const res = await call(`${again.url}/api/v4/projects/1/packages/${up.package_id}/package_files`, { headers: personal });
        expect((res.json() as FileRecord[]).map((f) => f.id)).toEqual([up.id]);
      } finally {
        await again.close();
      }
    } finally {
      await dir.remove();
    }
  });
});

describe("DELETE /projects/:id/packages/:package_id/package_files/:package_file_id", () => {
  it("needs a Maintainer, removes that one file and keeps the version; a second delete is 404", async () => {
    const a = (await call(`${api}/statusy/del-pkg/1.0.0/a.txt`, { method: "PUT", headers: personal, body: "a" })).json() as { id: number; package_id: number };
    const b = (await call(`${api}/statusy/del-pkg/1.0.0/b.txt`, { method: "PUT", headers: personal, body: "b" })).json() as { id: number };
    const url = `${api}/${a.package_id}/package_files/${a.id}`;
    // authorize_destroy_package! comes first: a Developer is refused before any lookup.
    expect((await call(url, { method: "DELETE", headers: { "private-token": registry.tokens.developer } })).status).toBe(403);
    expect((await call(`${api}/${a.package_id}/package_files/1`, { method: "DELETE", headers: { "private-token": registry.tokens.developer } })).status).toBe(403);
    // A file id of another package is not this package's file.
    const other = (await call(`${api}/statusy/del-other/1.0.0/o.txt`, { method: "PUT", headers: personal, body: "o" })).json() as { id: number };
    expect((await call(`${api}/${a.package_id}/package_files/${other.id}`, { method: "DELETE", headers: personal })).status).toBe(404);

    expect((await call(url, { method: "DELETE", headers: personal })).status).toBe(204);
    const left = (await call(`${api}/${a.package_id}/package_files`, { headers: personal })).json() as FileRecord[];
    expect(left.map((f) => f.id)).toEqual([b.id]);
    expect((await call(`${api}/statusy/del-pkg/1.0.0/a.txt`, { headers: personal })).status).toBe(404);
    expect((await call(`${api}/statusy/del-pkg/1.0.0/b.txt`, { headers: personal })).text).toBe("b");
    expect((await call(`${api}/${a.package_id}`, { headers: personal })).status).toBe(200);
    expect((await call(url, { method: "DELETE", headers: personal })).status).toBe(404);
    // GET on a file's path is not a route GitLab has.
    expect((await call(`${api}/${a.package_id}/package_files/${b.id}`, { headers: personal })).status).toBe(405);
  });
});

// The example kit's routes in the reference registry: what a registry of the
// example format answers. Server side: imports only @regkit/registry/contract.
import { ReferenceHttpError, type ReferenceFormat } from "@regkit/registry/contract";

/** The example format as the reference registry serves it (`/api/v4/projects/:id/packages/example`). */
export const exampleReference: ReferenceFormat = {
  segment: "example",
  auth: ["headers", "basic"],
  policies: { duplicates: "reject", duplicateStatus: [400] },
  limits: { maxFileSize: 0 },
  routes: [
    {
      method: "PUT",
      path: "/:name/:version/:file",
      access: "write",
      async handle(req) {
        const staged = await req.store.stage(req.body, req.limits.maxFileSize);
        const outcome = await req.store.commit({
          name: req.params.name!,
          version: req.params.version!,
          files: [{ filename: req.params.file!, staged }],
          metadata: {},
          duplicates: req.policies.duplicates,
        });
        if (outcome.kind === "duplicate") throw new ReferenceHttpError(400, "Duplicate package is not allowed");
        return { status: 201, body: { message: "201 Created" } };
      },
    },
    {
      method: "GET",
      path: "/:name/:version/:file",
      access: "read",
      async handle(req) {
        const pkg = await req.store.get(req.params.name!);
        const version = pkg?.versions.find((v) => v.version === req.params.version);
        const file = version?.files.filter((f) => f.filename === req.params.file).at(-1);
        const opened = file ? await req.store.open(req.params.name!, req.params.version!, file.filename) : undefined;
        if (!opened) throw new ReferenceHttpError(404, "404 Not Found");
        return { status: 200, headers: { "content-type": "application/octet-stream", "content-length": String(opened.size) }, body: opened.stream() };
      },
    },
    {
      method: "GET",
      path: "/:name",
      access: "read",
      async handle(req) {
        const pkg = await req.store.get(req.params.name!);
        if (!pkg) throw new ReferenceHttpError(404, "404 Not Found");
        return { status: 200, body: { name: pkg.name, versions: pkg.versions.map((v) => v.version) } };
      },
    },
    {
      method: "DELETE",
      path: "/:name",
      access: "write",
      async handle(req) {
        if (!(await req.store.remove(req.params.name!))) throw new ReferenceHttpError(404, "404 Not Found");
        return { status: 204 };
      },
    },
  ],
};


// The Helm routes of the embedded reference registry: server side, apart
// from the client kit (only @regkit/registry/contract and the kit's shared helpers).
import type { ReferenceFormat } from "@regkit/registry/contract";

/** The format as the reference registry serves it at /api/v4/projects/:id/packages/helm. */
export const helmReference: ReferenceFormat = {
  segment: "helm",
  auth: ["headers", "basic"],
  policies: { duplicates: "reject", duplicateStatus: [] },
  limits: { maxFileSize: 0 },
  routes: [
    // { method: "PUT", path: "/:name/:version", access: "write", async handle(req) { ... } },
  ],
};

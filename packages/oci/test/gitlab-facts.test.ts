// Every GitLab fact of the OCI kit (src/gitlab.ts, the whole facts object),
// each pinned against the embedded reference registry in a test titled with
// the fact's id: the registry-side ones (the token realm, its claims and
// refusals, the actions per credential, repository paths and tag names) over
// plain HTTP, the client kit's ones (catalog, tag protection) through the kit.
import { beforeAll, describe, expect, test } from "vitest";
import { runConformance } from "@regkit/core";
import { gitlab, ociGitLabFacts, ociKit } from "@regkit/oci";
import { ociReference } from "@regkit/oci/reference";
import type { ReferenceRegistry } from "@regkit/registry";
import { pinFacts, resultOf, useFaultHarness } from "@regkit/testkit";
import { bearerChallenge, tokenAccess } from "../src/auth.js";
import { bearer, errorCode, ociHelpers, type Who } from "./helpers.js";

const harness = useFaultHarness(ociKit, ociReference);
const publicHarness = useFaultHarness(ociKit, ociReference, { registry: { visibility: "public" } });
const basicAuth = (user: string, token: string): string => `Basic ${Buffer.from(`${user}:${token}`).toString("base64")}`;

// The harnesses' registries (a private project, and the same made public), for the registry-side facts.
let registry: ReferenceRegistry;
let open: ReferenceRegistry;
beforeAll(() => {
  registry = harness().registry;
  open = publicHarness().registry;
});

const { realm, tokenFor, putManifest, pushImage } = ociHelpers(() => registry);

describe("GitLab facts of the OCI kit", () => {
  // The whole facts object: pinFacts wants a test for every key, so a fact added to src/gitlab.ts without one does not compile.
  pinFacts(ociGitLabFacts, {
    tokenRealm: async () => {
      const base = await fetch(`${registry.url}/v2/`);
      expect(base.status).toBe(401);
      expect(base.headers.get("www-authenticate")).toBe(`Bearer realm="${registry.url}/jwt/auth",service="container_registry"`);
      expect(base.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
      expect(await errorCode(base)).toBe("UNAUTHORIZED");
      const bad = await realm({ authorization: `Basic ${Buffer.from(`regkit-user:glpat-wrong`).toString("base64")}` }, ["repository:regkit/demo/x:pull"]);
      expect(bad.status).toBe(401);
      expect(bad.body).toEqual({ errors: [{ code: "UNAUTHORIZED", message: "HTTP Basic: Access denied" }] });
      expect((await realm("personal", ["repository:regkit/demo/x:pull"], registry, "other_service")).status).toBe(404);
      const ok = await realm("personal", []);
      expect(ok.status).toBe(200);
      expect(Object.keys(ok.body)).toEqual(["token"]);
      const withToken = await fetch(`${registry.url}/v2/`, { headers: bearer(ok.token!) });
      expect(withToken.status).toBe(200);
    },
    tokenClaims: async () => {
      const { claims, header } = await realm("personal", ["repository:regkit/demo/claims:pull,push,delete"]);
      expect(header).toMatchObject({ alg: "RS256", typ: "JWT" });
      expect(claims).toMatchObject({ iss: "gitlab-issuer", aud: "container_registry", sub: "regkit-user" });
      expect(claims!.exp - claims!.iat).toBe(5 * 60);
      expect(claims!.access).toEqual([{ type: "repository", name: "regkit/demo/claims", actions: ["pull", "push", "delete"] }]);
      // Upper case in the path is folded (ContainerRegistry::Path downcases); a scope for nothing real is dropped.
      const folded = await realm("personal", ["repository:Regkit/Demo/Img:pull", "repository:nobody/nothing:pull", "bogus"]);
      expect(folded.claims!.access).toEqual([{ type: "repository", name: "regkit/demo/img", actions: ["pull"] }]);
    },
    tokenDenied: async () => {
      const anonymous = await realm("anonymous", ["repository:regkit/demo/img:pull"]);
      expect(anonymous.status).toBe(403);
      expect(anonymous.body).toEqual({ errors: [{ code: "DENIED", message: "access forbidden" }] });
      // A public project: anonymous pull, never push.
      const publicPull = await realm("anonymous", ["repository:regkit/demo/img:pull,push"], open);
      expect(publicPull.status).toBe(200);
      expect(publicPull.claims!.access).toEqual([{ type: "repository", name: "regkit/demo/img", actions: ["pull"] }]);
      // regkit/other stays private even then.
      expect((await realm("anonymous", ["repository:regkit/other/img:pull"], open)).status).toBe(403);
      // Authenticated but not allowed: 200 with nothing granted.
      const foreign = await realm("personal", ["repository:regkit/other/img:pull"]);
      expect(foreign.status).toBe(200);
      expect(foreign.claims!.access).toEqual([]);
    },
    registryActions: async () => {
      const scope = ["repository:regkit/demo/actions:pull,push,delete,*"];
      const granted = async (who: Who) => ((await realm(who, scope)).claims?.access[0]?.actions ?? []);
      expect(await granted("personal")).toEqual(["pull", "push", "delete", "*"]);
      expect(await granted("developer")).toEqual(["pull", "push"]);
      expect(await granted("deploy")).toEqual(["pull", "push"]);
      expect(await granted("readonly")).toEqual(["pull"]);
      expect(await granted("job")).toEqual(["pull", "push", "delete"]);
      expect(await granted("otherJob")).toEqual([]);
    },
    registryCredentials: async () => {
      const t = registry.tokens;
      const as = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });
      const scope = ["repository:regkit/demo/creds:pull"];
      // A personal token under any username; a deploy token only under its own.
      expect((await realm(as("anyone", t.personal), scope)).claims!.access).toHaveLength(1);
      expect((await realm(as("someone-else", t.deploy), scope)).status).toBe(401);
      expect((await realm(as(t.deployUsername, t.deploy), scope)).claims!.access).toHaveLength(1);
      // A job token only as gitlab-ci-token.
      expect((await realm(as("regkit-user", t.job), scope)).status).toBe(401);
      expect((await realm(as("gitlab-ci-token", t.job), scope)).claims).toMatchObject({ sub: "regkit-user" });
      // Deploy tokens are no user: no sub.
      expect((await realm(as(t.deployUsername, t.deploy), scope)).claims!.sub).toBeUndefined();
    },
    repositoryPath: async () => {
      const names = async (...paths: string[]) => ((await realm("personal", paths.map((p) => `repository:${p}:pull`))).claims!.access).map((a) => a.name);
      // Up to two levels below the project; deeper or malformed paths name no project.
      expect(await names("regkit/demo", "regkit/demo/a", "regkit/demo/a/b", "regkit/demo/a/b/c", "regkit/demo/-bad", "regkit/demo//x")).toEqual([
        "regkit/demo",
        "regkit/demo/a",
        "regkit/demo/a/b",
      ]);
    },
    imageNamespace: async () => {
      expect(registry.registries.oci).toBe(`${registry.url}/regkit/demo`);
    },
    tagName: async () => {
      const name = "regkit/demo/tag-names";
      const token = await tokenFor("personal", name);
      const { manifest } = await pushImage(name, token, "first");
      for (const tag of ["_under", "v1.2.3-rc.1", "a".repeat(128)]) expect((await putManifest(name, tag, token, manifest)).status, tag).toBe(201);
      for (const tag of ["-dash", ".dot", "a".repeat(129), "sp%20ace"]) {
        const res = await putManifest(name, tag, token, manifest);
        expect(res.status, tag).toBe(400);
        expect(await errorCode(res), tag).toBe("MANIFEST_INVALID");
      }
    },
    async catalogAdminOnly(fact) {
      const registry = harness().registry;
      const probe = await fetch(`${registry.url}/v2/_catalog`);
      await probe.arrayBuffer();
      expect(probe.status).toBe(401);
      const challenge = bearerChallenge(probe.headers.get("www-authenticate") ?? undefined);
      expect(challenge?.params.realm).toMatch(/\/jwt\/auth$/);
      const realm = new URL(challenge!.params.realm!);
      realm.searchParams.set("service", challenge!.params.service ?? "");
      realm.searchParams.set("scope", fact.value.scope);
      const tokenOf = async (authorization: string): Promise<string> => {
        const res = await fetch(realm, { headers: { authorization } });
        expect(res.status).toBe(200);
        return ((await res.json()) as { token: string }).token;
      };
      const hasCatalog = (token: string): boolean | undefined => tokenAccess(token)?.some((a) => a.type === "registry" && a.name === "catalog");
      // The reference's personal token belongs to an instance admin: the catalog is in its token.
      expect(hasCatalog(await tokenOf(basicAuth(registry.tokens.personalUsername, registry.tokens.personal)))).toBe(true);
      // A Developer's personal token: the token comes, without the catalog in it.
      const token = await tokenOf(basicAuth("regkit-developer", registry.tokens.developer));
      expect(hasCatalog(token)).toBe(false);
      const listed = await fetch(`${registry.url}/v2/_catalog`, { headers: { authorization: `Bearer ${token}` } });
      await listed.arrayBuffer();
      expect([401, 403]).toContain(listed.status);
      // So the gitlab profile has no search (the catalog is the only listing of repositories).
      expect(gitlab.capabilities.search).toBe(false);
    },
    async tagProtection(fact) {
      expect(gitlab.policies.duplicates).toBe(fact.value.defaultPolicy);
      // Tags move by default: push.duplicate passes under the allow policy.
      const moved = resultOf(await harness().run(undefined, { scenarios: ["push.duplicate"] }), "push.duplicate");
      expect(moved.status).toBe("pass");
      // immutableTags against a project whose tags move: the second push is accepted, and the check says so.
      const wrong = resultOf(await harness().run(undefined, { scenarios: ["push.duplicate"], settings: { immutableTags: true } }), "push.duplicate");
      expect(wrong.status).toBe("fail");
      expect(wrong.message).toMatch(/accepted/);
      // A project whose tags are protected: immutableTags passes.
      const registry = harness().registry;
      registry.setPolicies("oci", { duplicates: "reject" });
      try {
        const target = { ...harness().target(), settings: { immutableTags: true } };
        const report = await runConformance({ kit: ociKit, target, scenarios: ["push.duplicate"], tokenKinds: ["personal"] });
        expect(resultOf(report, "push.duplicate").status).toBe("pass");
      } finally {
        registry.setPolicies("oci", { duplicates: "allow" });
      }
    },
  });
});

describe("the gitlab profile's visibility setting", () => {
  test("a public project: anonymous pulls through the realm's anonymous token pass with visibility=public and fail the private profile", async () => {
    const kinds = ["personal", "anonymous", "invalid", "readonly"] as const;
    const open = await publicHarness().run(undefined, { scenarios: ["auth.matrix"], tokenKinds: kinds, settings: { visibility: "public" } });
    for (const kind of ["anonymous", "invalid", "readonly"] as const) expect(resultOf(open, "auth.matrix", kind).status, kind).toBe("pass");
    const wrong = await publicHarness().run(undefined, { scenarios: ["auth.matrix"], tokenKinds: kinds });
    const anonymous = resultOf(wrong, "auth.matrix", "anonymous");
    expect(anonymous.status).toBe("fail");
    expect(anonymous.message).toMatch(/pulling with no credentials succeeded/);
  });
});

// The catalog against Debian's docker-registry with token auth, the flow
// GitLab's container registry uses: `startDistribution({ auth: "token" })`,
// an RS256 token server of our own (tooling/testing/oci-token.mjs) that
// docker-registry trusts through its rootcertbundle. Checked with the
// distribution profile (user in REGKIT_PERSONAL_USERNAME, password in
// REGKIT_PERSONAL_TOKEN, as `regkit run --profile distribution` takes them),
// every token kind the profile has: personal, anonymous, invalid.
//
// Asserted: the token flow itself and everything that rides on it (pushes,
// pulls, the three real clients crossed, the negatives), and what this mode
// once found broken in the kit: cleanup removes every repository the run
// tagged (checked afterwards through the token flow done here by hand, not
// the kit's); a cross-repository mount asks for every scope the challenge
// names and mounts (201); endpoints.audit counts the realm the registry's
// challenge announced as the token endpoint, not as a route outside the table.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runConformance, type RunReport } from "@regkit/core";
import { ociKit } from "@regkit/oci";
import { distributionUnavailable, startDistribution, type StartedRegistry } from "../../../tooling/testing/oci-registries.mjs";

const MiB = 1024 * 1024;
const why = await distributionUnavailable({ auth: "token" });
let registry: StartedRegistry | undefined;
let report: RunReport;

const status = (scenario: string, kind: string): string | undefined => report.results.find((r) => r.scenario === scenario && r.tokenKind === kind)?.status;
const message = (scenario: string, kind: string): string => report.results.find((r) => r.scenario === scenario && r.tokenKind === kind)?.message ?? "";

describe.skipIf(why !== undefined)(`the catalog against docker-registry with token auth${why ? ` (skipped: ${why})` : ""}`, () => {
  beforeAll(async () => {
    registry = await startDistribution({ auth: "token" });
    report = await runConformance({
      kit: ociKit,
      target: {
        registry: registry.url,
        profile: "distribution",
        credentials: { personal: registry.password, personalUsername: registry.username },
        options: { manyVersions: 20, manyPackages: 10, largeSize: 16 * MiB, numRuns: 3, maxCommands: 8 },
      },
    });
  }, 900_000);
  afterAll(async () => {
    await registry?.close();
  });

  test("the token flow is checked and passes: docker-registry challenges with Bearer, the token server grants", () => {
    expect(status("oci.token-flow", "personal"), message("oci.token-flow", "personal")).toBe("pass");
    expect(registry?.tokens?.requests.some((r) => r.user === registry?.username)).toBe(true);
  });

  test("pushes, pulls and the real clients pass through the token flow", () => {
    for (const scenario of ["push.small", "push.duplicate", "push.large", "pull.package", "metadata.versions", "clients.roundtrip", "oci.chunked-upload", "oci.referrers", "oci.delete", "oci.index"]) {
      const got = status(scenario, "personal");
      // The distribution profile's recorded deviations (chunk order) count as seen, not as failures.
      expect(["pass", "deviation"], `${scenario}: ${got ?? "not run"} ${message(scenario, "personal")}`).toContain(got);
    }
    const roundtrip = report.results.find((r) => r.scenario === "clients.roundtrip" && r.tokenKind === "personal");
    expect(roundtrip?.notes.join(" ")).toMatch(/skopeo/);
  });

  test("anonymous and a wrong password are refused by the token flow", () => {
    for (const kind of ["anonymous", "invalid"]) {
      const got = report.results.filter((r) => r.scenario === "auth.matrix" && r.tokenKind === kind);
      expect(got.length, kind).toBeGreaterThan(0);
      for (const r of got) expect(r.status, `${kind}: ${r.message ?? ""}`).toBe("pass");
    }
  });

  test("a cross-repository mount asks for both repositories' scopes and mounts (201, not a fallback upload)", () => {
    expect(status("oci.mount", "personal"), message("oci.mount", "personal")).toBe("pass");
    const mount = report.results.find((r) => r.scenario === "oci.mount" && r.tokenKind === "personal");
    expect(mount?.notes).toContain("mounted (201)");
    // docker-registry's challenge for a mount names the source too: the token request carried both, as two scope parameters.
    const both = registry?.tokens?.requests.find((r) => {
      const scopes = new URLSearchParams(r.path.split("?")[1] ?? "").getAll("scope");
      return scopes.some((s) => /-mountdst-[^:]*:pull,push$/.test(s)) && scopes.some((s) => /-mountsrc-[^:]*:pull$/.test(s));
    });
    expect(both, "a token request naming the mount's destination and source").toBeDefined();
  });

  test("endpoints.audit counts the realm the challenge announced as the token endpoint, nothing outside the table", () => {
    expect(status("endpoints.audit", "personal"), message("endpoints.audit", "personal")).toBe("pass");
    const notes = report.results.find((r) => r.scenario === "endpoints.audit" && r.tokenKind === "personal")?.notes.join("\n") ?? "";
    // The token server's own URL, counted among the standard routes.
    expect(notes).toContain(`standard GET ${registry?.tokens?.realm ?? "(no realm)"}: `);
  });

  test("cleanup removes what the run created, through the token flow: no tag of the run is left", async () => {
    expect(report.cleanup.errors).toEqual([]);
    expect(report.cleanup.left).toEqual([]);
    expect(report.cleanup.removed).toBeGreaterThan(0);
    // Checked by hand, apart from the kit: a token for the catalog, then one per repository of the run for its tags.
    const reg = registry!;
    const basic = `Basic ${Buffer.from(`${reg.username}:${reg.password}`).toString("base64")}`;
    const tokenFor = async (scope: string): Promise<string> => {
      const url = new URL(reg.tokens!.realm);
      url.searchParams.set("service", reg.tokens!.service);
      url.searchParams.set("scope", scope);
      const res = await fetch(url, { headers: { authorization: basic } });
      expect(res.status, `GET ${url.pathname}?scope=${scope}`).toBe(200);
      return ((await res.json()) as { token: string }).token;
    };
    // docker-registry's page limit is 1000: this run's registry holds far fewer repositories, all on one page.
    const catalog = await fetch(`${reg.url}/v2/_catalog?n=1000`, { headers: { authorization: `Bearer ${await tokenFor("registry:catalog:*")}` } });
    expect(catalog.status, "GET /v2/_catalog?n=1000").toBe(200);
    expect(catalog.headers.get("link"), "a second page of the catalog").toBeNull();
    const repositories = ((await catalog.json()) as { repositories: string[] }).repositories.filter((r) => r.includes(report.runId.toLowerCase()));
    // The run pushed repositories (the catalog keeps emptied ones: the protocol cannot remove a repository, only its tags).
    expect(repositories.length).toBeGreaterThan(0);
    const tagged: string[] = [];
    for (const repository of repositories) {
      const res = await fetch(`${reg.url}/v2/${repository}/tags/list`, { headers: { authorization: `Bearer ${await tokenFor(`repository:${repository}:pull`)}` } });
      const body = res.status === 200 ? ((await res.json()) as { tags: string[] | null }) : (await res.arrayBuffer(), { tags: null });
      expect([200, 404], `GET /v2/${repository}/tags/list`).toContain(res.status);
      if (body.tags?.length) tagged.push(`${repository}: ${body.tags.join(", ")}`);
    }
    expect(tagged).toEqual([]);
  });

  test("nothing errors", () => {
    expect(report.results.filter((r) => r.status === "error").map((r) => `${r.scenario} [${r.tokenKind}]: ${r.message ?? ""}`)).toEqual([]);
  });
});

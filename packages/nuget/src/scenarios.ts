import * as fc from "fast-check";
import { ConformanceFailure, scenarioHelpers, type Scenario, type ScenarioContext } from "@regkit/core";
import type { NuGetClient } from "./client.js";
import { nuspecIdentity } from "./nupkg.js";
import { compareNuGetVersions, normalizeNuGetVersion } from "./version.js";

const { mustMatch, property, publishNew, lastExchanges, sleep } = scenarioHelpers;
const nuget = (ctx: ScenarioContext): NuGetClient => ctx.client as NuGetClient;

export const nugetCaseInsensitive: Scenario = {
  id: "nuget.case-insensitive",
  title: "Package ids are case-insensitive",
  checklist: 5,
  description:
    "A package pushed as My.Package is found as my.package and MY.PACKAGE (flat container, download), and a second push whose id differs only in case lands in the same package.",
  audience: "write",
  async run(ctx) {
    const id = ctx.name("Case.Pkg");
    const artifact = await publishNew(ctx, ctx.client, { name: id, version: "1.0.0" }, `pushing ${id}`);
    for (const spelling of [id.toLowerCase(), id.toUpperCase()]) {
      mustMatch(artifact, await nuget(ctx).downloadAs(spelling, "1.0.0"), `downloading as ${spelling}`);
    }
    await publishNew(ctx, ctx.client, { name: id.toUpperCase(), version: "2.0.0" }, `pushing ${id.toUpperCase()} 2.0.0`);
    const versions = await ctx.client.versions(id);
    if (versions.length !== 2) {
      throw new ConformanceFailure(`ids differing only in case should be one package`, { expected: "versions 1.0.0 and 2.0.0 under one id", actual: `[${versions.join(", ")}]` }, lastExchanges(ctx, 1));
    }
  },
};

/** Equivalent spellings of a version: leading zeros, a zero fourth part, build metadata. */
export function versionSpellings(version: string): string[] {
  const [core, pre] = version.split("-", 2) as [string, string | undefined];
  const parts = core.split(".");
  const padded = parts.map((p, i) => (i === 1 ? `0${p}` : p)).join(".");
  const four = parts.length === 3 ? `${core}.0` : core;
  const tail = pre ? `-${pre}` : "";
  return [`${padded}${tail}`, `${four}${tail}`, `${core}${tail}+build.7`];
}

const nugetVersion = (): fc.Arbitrary<string> =>
  fc
    .tuple(fc.nat(20), fc.nat(20), fc.nat(20), fc.option(fc.nat(5), { nil: undefined }), fc.option(fc.constantFrom("alpha", "beta.2", "rc.1", "Preview"), { nil: undefined }))
    .map(([a, b, c, d, pre]) => `${a}.${b}.${c}${d ? `.${d}` : ""}${pre ? `-${pre}` : ""}`);

export const nugetVersionNormalization: Scenario = {
  id: "nuget.version-normalization",
  title: "Versions are normalized and resolve by any spelling",
  checklist: 5,
  description:
    "Property: versions pushed with leading zeros, a fourth part, prerelease labels and build metadata are listed in the flat container in normalized, lowercase form, in NuGet's SemVer 2.0 order, and download by any equivalent spelling.",
  audience: "write",
  async run(ctx) {
    let n = 0;
    await property(ctx, fc.uniqueArray(nugetVersion(), { minLength: 1, maxLength: 3, comparator: (a, b) => compareNuGetVersions(a, b) === 0 }), async (versions) => {
      const id = ctx.name(`Norm${n++}`);
      const artifacts = [];
      for (const version of versions) artifacts.push(await publishNew(ctx, ctx.client, { name: id, version: versionSpellings(version)[0]! }, `pushing ${id} ${version}`));
      const listed = await nuget(ctx).flatVersions(id);
      const expected = versions.map((v) => normalizeNuGetVersion(v)!.toLowerCase()).sort(compareNuGetVersions);
      if (!listed || listed.versions.join(",") !== expected.join(",")) {
        throw new ConformanceFailure(`the flat container of ${id} does not list the normalized versions in order`, { expected: expected.join(", "), actual: listed ? listed.versions.join(", ") : "404" }, lastExchanges(ctx, 1));
      }
      for (const [i, version] of versions.entries()) {
        for (const spelling of versionSpellings(version).slice(1)) mustMatch(artifacts[i]!, await nuget(ctx).downloadAs(id, spelling), `downloading ${id} as ${spelling}`);
      }
    });
  },
};

export const nugetRegistration: Scenario = {
  id: "nuget.registration",
  title: "Registration and flat container agree",
  checklist: 5,
  description:
    "After pushing a few versions, the registration index (RegistrationsBaseUrl: catalogEntry versions, packageContent links) and the flat container list the same versions, every packageContent link downloads the pushed bytes, and the flat container's .nuspec names the pushed id and version.",
  audience: "write",
  async run(ctx) {
    const id = ctx.name("Reg");
    const artifacts = [];
    for (const version of ["1.0.0", "1.1.0-beta", "2.0.0"]) artifacts.push(await publishNew(ctx, ctx.client, { name: id, version }, `pushing ${id} ${version}`));
    const leaves = await nuget(ctx).registration(id);
    if (!leaves) ctx.skip("the service index has no RegistrationsBaseUrl");
    const flat = (await ctx.client.versions(id)).map((v) => v.toLowerCase()).sort(compareNuGetVersions);
    const reg = leaves!.map((l) => l.version.toLowerCase()).sort(compareNuGetVersions);
    if (flat.join(",") !== reg.join(",") || reg.length !== artifacts.length) {
      throw new ConformanceFailure(`registration and flat container of ${id} disagree`, { expected: `flat container [${flat.join(", ")}]`, actual: `registration [${reg.join(", ")}]` }, lastExchanges(ctx, 2));
    }
    for (const artifact of artifacts) {
      const entry = leaves!.find((l) => compareNuGetVersions(l.version, artifact.version) === 0);
      if (!entry?.packageContent) {
        throw new ConformanceFailure(`the registration leaf of ${id} ${artifact.version} has no packageContent`, { expected: "a packageContent URL", actual: JSON.stringify(entry) }, lastExchanges(ctx, 1));
      }
      mustMatch(artifact, await nuget(ctx).fetchDigests(entry.packageContent), `downloading packageContent of ${artifact.version}`);
      const nuspec = await nuget(ctx).nuspec(id, artifact.version);
      const identity = nuspec && nuspecIdentity(nuspec.text);
      if (!identity || identity.id.toLowerCase() !== id.toLowerCase() || compareNuGetVersions(identity.version, artifact.version) !== 0) {
        throw new ConformanceFailure(`the .nuspec of ${id} ${artifact.version} in the flat container`, { expected: `id ${id}, version ${artifact.version}`, actual: identity ? `${identity.id} ${identity.version}` : "missing or unreadable" }, lastExchanges(ctx, 1));
      }
    }
  },
};

export const nugetSearch: Scenario = {
  id: "nuget.search",
  title: "Search honours prerelease, skip and take",
  checklist: 5,
  description:
    "Pushes a stable and a prerelease-only package under a unique prefix: search with prerelease=false finds only the stable one, with prerelease=true both, and skip/take page through the results.",
  audience: "write",
  requires: ["search"],
  async run(ctx) {
    const prefix = ctx.name("Search");
    await publishNew(ctx, ctx.client, { name: `${prefix}.Stable`, version: "1.0.0" }, "pushing the stable package");
    await publishNew(ctx, ctx.client, { name: `${prefix}.Pre`, version: "1.0.0-beta" }, "pushing the prerelease package");
    await sleep(100);
    const stable = await nuget(ctx).searchPage(prefix, { prerelease: false });
    const all = await nuget(ctx).searchPage(prefix, { prerelease: true });
    const has = (ids: readonly string[], id: string): boolean => ids.some((x) => x.toLowerCase() === id.toLowerCase());
    if (!has(stable.ids, `${prefix}.Stable`) || has(stable.ids, `${prefix}.Pre`)) {
      throw new ConformanceFailure(`search with prerelease=false`, { expected: `${prefix}.Stable only`, actual: `[${stable.ids.join(", ")}]` }, [stable.exchange]);
    }
    if (!has(all.ids, `${prefix}.Stable`) || !has(all.ids, `${prefix}.Pre`)) {
      throw new ConformanceFailure(`search with prerelease=true`, { expected: `${prefix}.Stable and ${prefix}.Pre`, actual: `[${all.ids.join(", ")}]` }, [all.exchange]);
    }
    const first = await nuget(ctx).searchPage(prefix, { prerelease: true, take: 1 });
    const second = await nuget(ctx).searchPage(prefix, { prerelease: true, skip: 1, take: 1 });
    if (first.ids.length !== 1 || second.ids.length !== 1 || first.ids[0] === second.ids[0]) {
      throw new ConformanceFailure(`paging with skip/take`, { expected: "two pages of one different id each", actual: `[${first.ids.join(", ")}] then [${second.ids.join(", ")}]` }, [first.exchange, second.exchange]);
    }
  },
};

export const nugetScenarios: readonly Scenario[] = [nugetCaseInsensitive, nugetVersionNormalization, nugetRegistration, nugetSearch];

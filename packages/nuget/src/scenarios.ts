import * as fc from "fast-check";
import { ConformanceFailure, scenarioHelpers, type KitScenario, type Exchange, type ScenarioContext } from "@regkit/core";
import type { NuGetClient } from "./client.js";
import { nuspecIdentity } from "./package.js";
import type { NuGetProfile } from "./profiles.js";
import { compareNuGetVersions, normalizeNuGetVersion } from "./version.js";

const { mustMatch, mustRefuse, property, publishNew, lastExchanges, sleep } = scenarioHelpers;
/**
 * A scenario of the NuGet kit: it sees the NuGet adapter and profile, and
 * `requires` may name only capabilities a NuGet profile has.
 */
type NuGetScenario = KitScenario<NuGetClient, NuGetProfile>;
type NuGetContext = ScenarioContext<NuGetClient, NuGetProfile>;

export const nugetCaseInsensitive: NuGetScenario = {
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
      mustMatch(artifact, await ctx.client.downloadAs(spelling, "1.0.0"), `downloading as ${spelling}`);
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

const normalizedLower = (v: string): string => (normalizeNuGetVersion(v) ?? v).toLowerCase();
const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");

/**
 * Versions whose string order differs from NuGet's and whose spellings differ
 * from their normalized, lowercase form: a feed that lists versions as pushed
 * cannot list these the way the protocol asks by accident.
 */
const FORM_PROBE = ["2.0.0", "10.0.0", "1.2.3.0", "1.0.0-Preview"] as const;

export const nugetVersionNormalization: NuGetScenario = {
  id: "nuget.version-normalization",
  title: "Versions are normalized and resolve by any spelling",
  checklist: 5,
  description:
    "Pushes 1.05.0 (a leading zero NuGet normalizes away; recorded deviation nuget.leading-zeros where a feed refuses it), then 2.0.0, 10.0.0, 1.2.3.0 and 1.0.0-Preview: the flat container must list them normalized and lowercase in SemVer 2.0 order (recorded deviation nuget.flat-container-versions: exactly as pushed instead). Then, property: generated versions with a fourth part, prerelease labels (and leading zeros where accepted) are listed in that form, and download by any equivalent spelling.",
  audience: "write",
  async run(ctx) {
    // A leading zero: NuGet's own rules take 1.05.0 as 1.5.0.
    const zeros = await ctx.build({ name: ctx.name("Zeros"), version: "1.05.0" });
    ctx.track(zeros.name, zeros.version);
    let accepted = false;
    const refusesZeros = await ctx.deviates("nuget.leading-zeros", async () => {
      const outcome = await ctx.client.publish(zeros);
      if (outcome.accepted) {
        accepted = true;
        return;
      }
      mustRefuse(outcome, `pushing ${zeros.name} 1.05.0`, []);
      throw new ConformanceFailure(`pushing ${zeros.name} 1.05.0 (a leading zero) was refused`, { expected: "accepted: NuGet reads 1.05.0 as 1.5.0", actual: `status ${outcome.status}` }, [outcome.exchange]);
    });
    if (accepted) mustMatch(zeros, await ctx.client.downloadAs(zeros.name, "1.5.0"), `downloading ${zeros.name} 1.05.0 as 1.5.0`);

    // The form of the flat container's list.
    const probe = ctx.name("Form");
    for (const version of FORM_PROBE) await publishNew(ctx, ctx.client, { name: probe, version }, `pushing ${probe} ${version}`);
    const asPushed = await listsAsPushed(ctx, probe, FORM_PROBE);

    let n = 0;
    await property(ctx, fc.uniqueArray(nugetVersion(), { minLength: 1, maxLength: 3, comparator: (a, b) => compareNuGetVersions(a, b) === 0 }), async (versions) => {
      const id = ctx.name(`Norm${n++}`);
      const artifacts = [];
      const pushed = versions.map((v) => (refusesZeros ? v : versionSpellings(v)[0]!));
      for (const version of pushed) artifacts.push(await publishNew(ctx, ctx.client, { name: id, version }, `pushing ${id} ${version}`));
      if (asPushed) await listsAsPushed(ctx, id, pushed, true);
      else await listsNormalized(ctx, id, pushed);
      for (const [i, version] of versions.entries()) {
        for (const spelling of versionSpellings(version).slice(1)) mustMatch(artifacts[i]!, await ctx.client.downloadAs(id, spelling), `downloading ${id} as ${spelling}`);
      }
    });
  },
};

/** The flat container lists `pushed` normalized, lowercase, in SemVer 2.0 order (NuGet's PackageBaseAddress rule). */
async function listsNormalized(ctx: NuGetContext, id: string, pushed: readonly string[]): Promise<void> {
  const listed = await ctx.client.flatVersions(id);
  const expected = pushed.map(normalizedLower).sort(compareNuGetVersions);
  if (!listed || listed.versions.join(",") !== expected.join(",")) {
    throw new ConformanceFailure(`the flat container of ${id} does not list the normalized versions in order`, { expected: expected.join(", "), actual: listed ? listed.versions.join(", ") : "404" }, lastExchanges(ctx, 1));
  }
}

/**
 * Checks the protocol's form first; where the profile records that the feed
 * lists versions as pushed instead (nuget.flat-container-versions), the list
 * must then hold exactly the pushed spellings. Resolves whether the feed lists
 * them as pushed. `known`: the deviation was already seen, check that form only.
 */
async function listsAsPushed(ctx: NuGetContext, id: string, pushed: readonly string[], known = false): Promise<boolean> {
  const deviates = known || (await ctx.deviates("nuget.flat-container-versions", () => listsNormalized(ctx, id, pushed)));
  if (!deviates) return false;
  const listed = await ctx.client.flatVersions(id);
  if (!listed || !sameSet(listed.versions, pushed)) {
    throw new ConformanceFailure(`the flat container of ${id} does not list the versions as pushed either`, { expected: `${[...pushed].sort().join(", ")} (any order)`, actual: listed ? listed.versions.join(", ") : "404" }, lastExchanges(ctx, 1));
  }
  return true;
}

export const nugetRegistration: NuGetScenario = {
  id: "nuget.registration",
  title: "Registration and flat container agree",
  checklist: 5,
  description:
    "After pushing a few versions, the registration index (RegistrationsBaseUrl: catalogEntry versions, packageContent links) and the flat container list the same versions, every packageContent link downloads the pushed bytes, and the flat container's .nuspec names the pushed id and version (recorded deviation nuget.flat-nuspec where the feed serves no .nuspec).",
  audience: "write",
  async run(ctx) {
    const id = ctx.name("Reg");
    const artifacts = [];
    for (const version of ["1.0.0", "1.1.0-beta", "2.0.0"]) artifacts.push(await publishNew(ctx, ctx.client, { name: id, version }, `pushing ${id} ${version}`));
    const leaves = await ctx.client.registration(id);
    if (!leaves) ctx.skip("the service index has no RegistrationsBaseUrl");
    const flat = (await ctx.client.versions(id)).map(normalizedLower).sort(compareNuGetVersions);
    const reg = leaves!.map((l) => normalizedLower(l.version)).sort(compareNuGetVersions);
    if (flat.join(",") !== reg.join(",") || reg.length !== artifacts.length) {
      throw new ConformanceFailure(`registration and flat container of ${id} disagree`, { expected: `flat container [${flat.join(", ")}]`, actual: `registration [${reg.join(", ")}]` }, lastExchanges(ctx, 2));
    }
    const missing: Exchange[] = [];
    for (const artifact of artifacts) {
      const entry = leaves!.find((l) => compareNuGetVersions(l.version, artifact.version) === 0);
      if (!entry?.packageContent) {
        throw new ConformanceFailure(`the registration leaf of ${id} ${artifact.version} has no packageContent`, { expected: "a packageContent URL", actual: JSON.stringify(entry) }, lastExchanges(ctx, 1));
      }
      mustMatch(artifact, await ctx.client.fetchDigests(entry.packageContent), `downloading packageContent of ${artifact.version}`);
      const nuspec = await ctx.client.nuspec(id, artifact.version);
      if (!nuspec) {
        missing.push(ctx.exchanges().at(-1)!);
        continue;
      }
      const identity = nuspecIdentity(nuspec.text);
      if (!identity || identity.id.toLowerCase() !== id.toLowerCase() || compareNuGetVersions(identity.version, artifact.version) !== 0) {
        throw new ConformanceFailure(`the .nuspec of ${id} ${artifact.version} in the flat container`, { expected: `id ${id}, version ${artifact.version}`, actual: identity ? `${identity.id} ${identity.version}` : "unreadable" }, [nuspec.exchange]);
      }
    }
    // A feed without the .nuspec download breaks PackageBaseAddress/3.0.0; a wrong one fails above either way.
    await ctx.deviates("nuget.flat-nuspec", async () => {
      if (missing.length > 0) {
        throw new ConformanceFailure(`the flat container of ${id} serves no .nuspec`, { expected: "200 with the package's .nuspec", actual: `404 for ${missing.length} of ${artifacts.length} versions` }, missing);
      }
    });
  },
};

export const nugetSearch: NuGetScenario = {
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
    const stable = await ctx.client.searchPage(prefix, { prerelease: false });
    const all = await ctx.client.searchPage(prefix, { prerelease: true });
    const has = (ids: readonly string[], id: string): boolean => ids.some((x) => x.toLowerCase() === id.toLowerCase());
    if (!has(stable.ids, `${prefix}.Stable`) || has(stable.ids, `${prefix}.Pre`)) {
      throw new ConformanceFailure(`search with prerelease=false`, { expected: `${prefix}.Stable only`, actual: `[${stable.ids.join(", ")}]` }, [stable.exchange]);
    }
    if (!has(all.ids, `${prefix}.Stable`) || !has(all.ids, `${prefix}.Pre`)) {
      throw new ConformanceFailure(`search with prerelease=true`, { expected: `${prefix}.Stable and ${prefix}.Pre`, actual: `[${all.ids.join(", ")}]` }, [all.exchange]);
    }
    const first = await ctx.client.searchPage(prefix, { prerelease: true, take: 1 });
    const second = await ctx.client.searchPage(prefix, { prerelease: true, skip: 1, take: 1 });
    if (first.ids.length !== 1 || second.ids.length !== 1 || first.ids[0] === second.ids[0]) {
      throw new ConformanceFailure(`paging with skip/take`, { expected: "two pages of one different id each", actual: `[${first.ids.join(", ")}] then [${second.ids.join(", ")}]` }, [first.exchange, second.exchange]);
    }
  },
};

export const nugetScenarios: readonly NuGetScenario[] = [nugetCaseInsensitive, nugetVersionNormalization, nugetRegistration, nugetSearch];

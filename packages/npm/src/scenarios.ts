
import { ConformanceFailure, collect, scenarioHelpers, type KitScenario, type ScenarioContext } from "@regkit/core";
import { ABBREVIATED, integrityOf, sha512OfIntegrity, type NpmClient } from "./client.js";
import { invalidNameReason, isBlockedName, nameRuleDeviation, tarballName } from "./names.js";
import { ABBREVIATED_CONTENT_TYPE, DIST_INTEGRITY, type NpmProfile } from "./profiles.js";

const { mustAccept, mustHoldFiles, mustMatch, mustRefuse, property, publishNew, lastExchanges } = scenarioHelpers;

/** A scenario of the npm kit: the npm adapter and an npm profile, typed. */
type NpmScenario = KitScenario<NpmClient, NpmProfile>;

/**
 * Checks a property makes under deviation ids, reported once per id when the
 * property is done. A failure under an id the profile does not record throws
 * at once, inside the property, so fast-check shrinks and replays it.
 */
class DeviationChecks {
  readonly #ctx: ScenarioContext<NpmClient, NpmProfile>;
  readonly #outcomes = new Map<string, ConformanceFailure | undefined>();
  constructor(ctx: ScenarioContext<NpmClient, NpmProfile>) {
    this.#ctx = ctx;
  }

  /** `failure`: what the check found, or undefined when the rule held. */
  check(id: string, failure: ConformanceFailure | undefined): void {
    if (failure && !this.#ctx.target.profile.deviations?.[id]) throw failure;
    if (!this.#outcomes.has(id) || (failure && !this.#outcomes.get(id))) this.#outcomes.set(id, failure);
  }

  async report(): Promise<void> {
    for (const [id, failure] of this.#outcomes) {
      await this.#ctx.deviates(id, async () => {
        if (failure) throw failure;
      });
    }
  }
}

export const npmIntegrity: NpmScenario = {
  id: "npm.integrity",
  title: "dist.integrity and dist.shasum match the bytes",
  checklist: 4,
  description:
    "Property: for generated tarballs, the packument's dist.integrity (sha512 SRI) and dist.shasum (sha1) equal the digests of the published bytes, in the full and the abbreviated packument. npm install refuses a tarball whose integrity does not match. A packument without dist.integrity is the deviation npm.dist-integrity (npm then checks sha1); a wrong shasum or integrity always fails.",
  audience: "write",
  async run(ctx) {
    const deviations = new DeviationChecks(ctx);
    let n = 0;
    await property(ctx, ctx.kit.arbitraries.files(), async (files) => {
      const artifact = await publishNew(ctx, ctx.client, { name: ctx.name(`int${n++}`), version: "1.0.0", files }, "publishing");
      for (const abbreviated of [false, true]) {
        const got = await ctx.client.packument(artifact.name, abbreviated);
        const dist = got?.packument.versions["1.0.0"]?.dist;
        const form = abbreviated ? "abbreviated" : "full";
        if (!dist) throw new ConformanceFailure(`${artifact.name}@1.0.0 has no dist in the ${form} packument`, { expected: "dist", actual: "none" }, got ? [got.exchange] : []);
        const expected = integrityOf(artifact.content.digests.sha512);
        if (dist.integrity === undefined) {
          deviations.check(DIST_INTEGRITY, new ConformanceFailure(`the ${form} packument has no dist.integrity`, { expected: `dist.integrity ${expected}`, actual: "no dist.integrity" }, [got!.exchange]));
        } else if (sha512OfIntegrity(dist.integrity) !== artifact.content.digests.sha512) {
          throw new ConformanceFailure(`dist.integrity in the ${form} packument does not match the published bytes`, { expected, actual: String(dist.integrity) }, [got!.exchange]);
        } else {
          deviations.check(DIST_INTEGRITY, undefined);
        }
        if (dist.shasum !== artifact.content.digests.sha1) {
          throw new ConformanceFailure(`dist.shasum in the ${form} packument does not match the published bytes`, { expected: artifact.content.digests.sha1, actual: String(dist.shasum) }, [got!.exchange]);
        }
      }
      mustMatch(artifact, await ctx.client.download(artifact.name, "1.0.0"), "pulling");
    });
    await deviations.report();
  },
};

export const npmDistTags: NpmScenario = {
  id: "npm.dist-tags",
  title: "dist-tags follow publishes",
  checklist: 5,
  description:
    "Publishing 1.0.0, 2.0.0 then 1.5.0 leaves `latest` where the last publish put it (npm publish tags what it publishes as latest); a custom tag set through /-/package/:name/dist-tags round trips and can be removed (on GitLab removing a tag needs a Maintainer's token or a deploy token with write scope: a Developer gets 403).",
  audience: "write",
  requires: ["distTags"],
  async run(ctx) {
    const name = ctx.name("tags");
    for (const version of ["1.0.0", "2.0.0", "1.5.0"]) {
      await publishNew(ctx, ctx.client, { name, version }, `publishing ${name}@${version}`);
      const latest = await ctx.client.latest(name);
      if (latest !== version) {
        throw new ConformanceFailure(`dist-tags.latest of ${name} does not follow the publish of ${version}`, { expected: `latest = ${version}`, actual: `latest = ${latest}` }, lastExchanges(ctx, 1));
      }
    }
    await ctx.client.setDistTag(name, "beta", "2.0.0");
    const tags = await ctx.client.distTags(name);
    if (tags.beta !== "2.0.0" || tags.latest !== "1.5.0") {
      throw new ConformanceFailure(`dist-tags of ${name} after setting beta`, { expected: '{"latest":"1.5.0","beta":"2.0.0"}', actual: JSON.stringify(tags) }, lastExchanges(ctx, 1));
    }
    await ctx.client.removeDistTag(name, "beta");
    const after = await ctx.client.distTags(name);
    if ("beta" in after) {
      throw new ConformanceFailure(`dist-tag beta of ${name} is still there after removing it`, { expected: "no beta tag", actual: JSON.stringify(after) }, lastExchanges(ctx, 1));
    }
  },
};

const ABBREVIATED_KEYS = new Set([
  "name", "version", "dependencies", "optionalDependencies", "devDependencies", "bundleDependencies", "bundledDependencies",
  "peerDependencies", "peerDependenciesMeta", "bin", "directories", "engines", "dist", "deprecated", "_hasShrinkwrap",
  "cpu", "os", "libc", "funding", "license", "acceptDependencies", "hasInstallScript", "_id", "_nodeVersion", "_npmVersion",
]);

export const npmAbbreviated: NpmScenario = {
  id: "npm.abbreviated",
  title: "Abbreviated packument (npm install's metadata)",
  checklist: 6,
  description:
    "With `Accept: application/vnd.npm.install-v1+json` the registry must answer the abbreviated packument in that content type, with the same versions and dist fields as the full one and without the full document's heavy fields (readme, time per version is optional). npm install asks for this form first. Another content type is the deviation npm.abbreviated-content-type (npm install still takes JSON).",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("abbr");
    await publishNew(ctx, ctx.client, { name, version: "1.0.0", description: "abbreviated" }, "publishing 1.0.0");
    await publishNew(ctx, ctx.client, { name, version: "1.1.0" }, "publishing 1.1.0");
    const full = await ctx.client.packument(name, false);
    const short = await ctx.client.packument(name, true);
    if (!full || !short) throw new ConformanceFailure(`${name} not found`, { expected: "200", actual: "404" }, lastExchanges(ctx, 2));
    await ctx.deviates(ABBREVIATED_CONTENT_TYPE, async () => {
      if (!short.contentType.startsWith(ABBREVIATED)) {
        throw new ConformanceFailure(`the abbreviated packument of ${name} came as ${short.contentType || "no content type"}`, { expected: `content-type ${ABBREVIATED}`, actual: short.contentType || "none" }, [short.exchange]);
      }
    });
    const fullVersions = Object.keys(full.packument.versions).sort();
    const shortVersions = Object.keys(short.packument.versions).sort();
    if (fullVersions.join() !== shortVersions.join()) {
      throw new ConformanceFailure(`full and abbreviated packuments of ${name} list different versions`, { expected: fullVersions.join(", "), actual: shortVersions.join(", ") }, [full.exchange, short.exchange]);
    }
    for (const v of fullVersions) {
      const a = full.packument.versions[v]!.dist;
      const b = short.packument.versions[v]!.dist;
      if (a.integrity !== b.integrity || a.shasum !== b.shasum || a.tarball !== b.tarball) {
        throw new ConformanceFailure(`dist of ${name}@${v} differs between the full and the abbreviated packument`, { expected: JSON.stringify(a), actual: JSON.stringify(b) }, [full.exchange, short.exchange]);
      }
      const extra = Object.keys(short.packument.versions[v]!).filter((k) => !ABBREVIATED_KEYS.has(k));
      if (extra.includes("readme") || extra.includes("description") && extra.length > 3) {
        ctx.note(`abbreviated manifest of ${v} carries extra fields: ${extra.join(", ")}`);
      }
    }
    if (short.packument["dist-tags"]?.latest !== "1.1.0") {
      throw new ConformanceFailure(`the abbreviated packument's dist-tags.latest`, { expected: "1.1.0", actual: String(short.packument["dist-tags"]?.latest) }, [short.exchange]);
    }
  },
};

/**
 * The invalid name `bad`, carrying the run's prefix where the broken rule
 * allows (cleanup removes only the run's names): `.regkit-<run>-x`,
 * `regkit-<run>-Xy`, a long name grown from the prefix; `node_modules` and
 * `favicon.ico` stay as they are.
 */
function ownedInvalidName(prefix: string, bad: string): string {
  if (isBlockedName(bad)) return bad;
  if (bad.length > 214) return `${prefix}-${"b".repeat(Math.max(1, 215 - prefix.length))}`;
  const lead = /^[._ ]/.exec(bad)?.[0] ?? "";
  return `${lead}${prefix}-${bad.slice(lead.length)}`;
}

export const npmInvalidNames: NpmScenario = {
  id: "npm.invalid-names",
  title: "Invalid package names are refused",
  checklist: 1,
  description:
    "Property: publish documents whose name breaks npm's rules for new packages (uppercase, leading . or _, spaces, ~'!()*, over 214 characters, node_modules) are refused with a 4xx, and nothing is created under that name. A registry whose profile records the leniency (GitLab checks only its own name regex; Verdaccio applies the rules for old packages) reports it as a deviation (npm.name-uppercase, npm.name-leading-period, ...).",
  audience: "write",
  async run(ctx) {
    const deviations = new DeviationChecks(ctx);
    const prefix = ctx.name("bad");
    const present = new Set<string>();
    await property(ctx, ctx.kit.arbitraries.invalidName(), async (generated) => {
      const bad = ownedInvalidName(prefix, generated);
      const reason = invalidNameReason(bad);
      if (!reason) return;
      // A name without the run's prefix may be there already (taken by this or an earlier run): a refusal would
      // prove nothing. A registry that will not even read the name (Verdaccio: 400) does not hold it.
      const held = async (): Promise<boolean> => (await ctx.client.versions(bad).catch(() => [] as readonly string[])).includes("1.0.0");
      if (isBlockedName(bad) && (present.has(bad) || (await held()))) {
        if (!present.has(bad)) ctx.note(`${bad}@1.0.0 exists already (left by an earlier run?): not published again`);
        present.add(bad);
        return;
      }
      const artifact = await ctx.build({ name: ctx.name("valid"), version: "1.0.0" });
      const bytes = Buffer.from(await collect(artifact.content.stream()));
      const file = tarballName(bad, "1.0.0");
      const document = {
        _id: bad,
        name: bad,
        "dist-tags": { latest: "1.0.0" },
        versions: { "1.0.0": { name: bad, version: "1.0.0", _id: `${bad}@1.0.0`, dist: { integrity: integrityOf(artifact.content.digests.sha512), shasum: artifact.content.digests.sha1, tarball: `${ctx.target.registry}/${bad}/-/${file}` } } },
        _attachments: { [file]: { content_type: "application/octet-stream", data: bytes.toString("base64"), length: bytes.byteLength } },
      };
      const outcome = await ctx.client.publishDocument(bad, document);
      // Cleanup removes what a lenient registry took (through its Packages API where the protocol cannot delete).
      if (outcome.accepted) {
        ctx.track(bad, "1.0.0");
        present.add(bad);
      }
      // Another token kind of this run may have taken the shared name in the meantime: then the refusal is a duplicate's.
      if (!outcome.accepted && isBlockedName(bad) && (await held())) {
        ctx.note(`${bad}@1.0.0 was published meanwhile (by another token kind of this run?): this refusal proves nothing`);
        present.add(bad);
        return;
      }
      const what = `publishing the invalid name ${JSON.stringify(bad)} (${reason})`;
      const deviation = nameRuleDeviation(reason);
      if (!deviation) {
        mustRefuse(outcome, what, []);
        return;
      }
      let failure: ConformanceFailure | undefined;
      try {
        mustRefuse(outcome, what, []);
      } catch (error) {
        if (!(error instanceof ConformanceFailure)) throw error;
        failure = error;
      }
      deviations.check(deviation, failure);
    });
    await deviations.report();
  },
};

export const npmScoped: NpmScenario = {
  id: "npm.scoped",
  title: "Scoped packages",
  checklist: 1,
  description:
    "A scoped package (@scope/name, sent as @scope%2fname) publishes, is listed and downloads byte for byte, its tarball is listed as its file (@scope/name-1.0.0.tgz, whether the URL repeats the scope or not) with the hash it was uploaded with, and its tarball URL carries the scope.",
  audience: "write",
  async run(ctx) {
    const base = ctx.name("scoped");
    const name = `@${base}/pkg`;
    const artifact = await ctx.build({ name, version: "1.0.0" });
    ctx.track(name, "1.0.0");
    mustAccept(await ctx.client.publish(artifact), `publishing ${name}`);
    const versions = await ctx.client.versions(name);
    if (!versions.includes("1.0.0")) throw new ConformanceFailure(`${name}@1.0.0 is not listed`, { expected: "1.0.0", actual: `[${versions.join(", ")}]` }, lastExchanges(ctx, 1));
    const downloaded = await ctx.client.download(name, "1.0.0");
    mustMatch(artifact, downloaded, `pulling ${name}`);
    await mustHoldFiles(ctx, ctx.client, [artifact], `listing the file of ${name}`);
    if (!downloaded.exchange.path.includes(`@${base}`)) ctx.note(`tarball served from ${downloaded.exchange.path}`);
  },
};

export const npmScenarios: readonly NpmScenario[] = [npmIntegrity, npmDistTags, npmAbbreviated, npmInvalidNames, npmScoped];


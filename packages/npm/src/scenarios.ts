
import { ConformanceFailure, collect, scenarioHelpers, type Scenario, type ScenarioContext } from "@regkit/core";
import { ABBREVIATED, integrityOf, sha512OfIntegrity, type NpmClient } from "./client.js";
import { invalidNameReason, isNewPackageRule } from "./names.js";

const { mustAccept, mustMatch, mustRefuse, property, publishNew, lastExchanges } = scenarioHelpers;

const npm = (ctx: ScenarioContext): NpmClient => ctx.client as NpmClient;

export const npmIntegrity: Scenario = {
  id: "npm.integrity",
  title: "dist.integrity and dist.shasum match the bytes",
  checklist: 4,
  description:
    "Property: for generated tarballs, the packument's dist.integrity (sha512 SRI) and dist.shasum (sha1) equal the digests of the published bytes, in the full and the abbreviated packument. npm install refuses a tarball whose integrity does not match.",
  audience: "write",
  async run(ctx) {
    let n = 0;
    await property(ctx, ctx.kit.arbitraries.files(), async (files) => {
      const artifact = await publishNew(ctx, ctx.client, { name: ctx.name(`int${n++}`), version: "1.0.0", files }, "publishing");
      for (const abbreviated of [false, true]) {
        const got = await npm(ctx).packument(artifact.name, abbreviated);
        const dist = got?.packument.versions["1.0.0"]?.dist;
        const form = abbreviated ? "abbreviated" : "full";
        if (!dist) throw new ConformanceFailure(`${artifact.name}@1.0.0 has no dist in the ${form} packument`, { expected: "dist", actual: "none" }, got ? [got.exchange] : []);
        if (sha512OfIntegrity(dist.integrity) !== artifact.content.digests.sha512) {
          throw new ConformanceFailure(`dist.integrity in the ${form} packument does not match the published bytes`, { expected: integrityOf(artifact.content.digests.sha512), actual: String(dist.integrity) }, [got!.exchange]);
        }
        if (dist.shasum !== artifact.content.digests.sha1) {
          throw new ConformanceFailure(`dist.shasum in the ${form} packument does not match the published bytes`, { expected: artifact.content.digests.sha1, actual: String(dist.shasum) }, [got!.exchange]);
        }
      }
      mustMatch(artifact, await ctx.client.download(artifact.name, "1.0.0"), "pulling");
    });
  },
};

export const npmDistTags: Scenario = {
  id: "npm.dist-tags",
  title: "dist-tags follow publishes",
  checklist: 5,
  description:
    "Publishing 1.0.0, 2.0.0 then 1.5.0 leaves `latest` where the last publish put it (npm publish tags what it publishes as latest); a custom tag set through /-/package/:name/dist-tags round trips and can be removed.",
  audience: "write",
  requires: ["distTags"],
  async run(ctx) {
    const name = ctx.name("tags");
    for (const version of ["1.0.0", "2.0.0", "1.5.0"]) {
      await publishNew(ctx, ctx.client, { name, version }, `publishing ${name}@${version}`);
      const latest = await ctx.client.latest!(name);
      if (latest !== version) {
        throw new ConformanceFailure(`dist-tags.latest of ${name} does not follow the publish of ${version}`, { expected: `latest = ${version}`, actual: `latest = ${latest}` }, lastExchanges(ctx, 1));
      }
    }
    await npm(ctx).setDistTag(name, "beta", "2.0.0");
    const tags = await npm(ctx).distTags(name);
    if (tags.beta !== "2.0.0" || tags.latest !== "1.5.0") {
      throw new ConformanceFailure(`dist-tags of ${name} after setting beta`, { expected: '{"latest":"1.5.0","beta":"2.0.0"}', actual: JSON.stringify(tags) }, lastExchanges(ctx, 1));
    }
    await npm(ctx).removeDistTag(name, "beta");
    const after = await npm(ctx).distTags(name);
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

export const npmAbbreviated: Scenario = {
  id: "npm.abbreviated",
  title: "Abbreviated packument (npm install's metadata)",
  checklist: 6,
  description:
    "With `Accept: application/vnd.npm.install-v1+json` the registry must answer the abbreviated packument in that content type, with the same versions and dist fields as the full one and without the full document's heavy fields (readme, time per version is optional). npm install asks for this form first.",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("abbr");
    await publishNew(ctx, ctx.client, { name, version: "1.0.0", description: "abbreviated" }, "publishing 1.0.0");
    await publishNew(ctx, ctx.client, { name, version: "1.1.0" }, "publishing 1.1.0");
    const full = await npm(ctx).packument(name, false);
    const short = await npm(ctx).packument(name, true);
    if (!full || !short) throw new ConformanceFailure(`${name} not found`, { expected: "200", actual: "404" }, lastExchanges(ctx, 2));
    if (!short.contentType.startsWith(ABBREVIATED) && ctx.target.capabilities.abbreviatedContentType === false) {
      ctx.note(`abbreviated packument served as ${short.contentType} (the ${ctx.target.profile.name} profile declares it; npm accepts it)`);
    } else if (!short.contentType.startsWith(ABBREVIATED)) {
      throw new ConformanceFailure(`the abbreviated packument of ${name} came as ${short.contentType}`, { expected: `content-type ${ABBREVIATED}`, actual: short.contentType || "none" }, [short.exchange]);
    }
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

export const npmInvalidNames: Scenario = {
  id: "npm.invalid-names",
  title: "Invalid package names are refused",
  checklist: 1,
  description:
    "Property: publish documents whose name breaks npm's rules for new packages (uppercase, leading . or _, spaces, ~'!()*, over 214 characters, node_modules) are refused with a 4xx, and nothing is created under that name.",
  audience: "write",
  async run(ctx) {
    await property(ctx, ctx.kit.arbitraries.invalidName(), async (bad) => {
      const reason = invalidNameReason(bad);
      if (!reason) return;
      // Leniencies a profile declares (Verdaccio applies the rules for old packages only).
      const caps = ctx.target.capabilities;
      if (caps.enforcesNewNameRules === false && isNewPackageRule(reason)) return;
      if (caps.rejectsLeadingUnderscore === false && reason === "name starts with an underscore") return;
      const artifact = await ctx.build({ name: ctx.name("valid"), version: "1.0.0" });
      const bytes = Buffer.from(await collect(artifact.content.stream()));
      const file = `${bad.replace(/^@[^/]*\//, "")}-1.0.0.tgz`;
      const document = {
        _id: bad,
        name: bad,
        "dist-tags": { latest: "1.0.0" },
        versions: { "1.0.0": { name: bad, version: "1.0.0", _id: `${bad}@1.0.0`, dist: { integrity: integrityOf(artifact.content.digests.sha512), shasum: artifact.content.digests.sha1, tarball: `${ctx.target.registry}/${bad}/-/${file}` } } },
        _attachments: { [file]: { content_type: "application/octet-stream", data: bytes.toString("base64"), length: bytes.byteLength } },
      };
      const outcome = await npm(ctx).publishDocument(bad, document);
      if (outcome.accepted) {
        ctx.track(bad, "1.0.0");
        await ctx.client.remove?.(bad).catch(() => {});
      }
      mustRefuse(outcome, `publishing the invalid name ${JSON.stringify(bad)} (${invalidNameReason(bad)})`, []);
    });
  },
};

export const npmScoped: Scenario = {
  id: "npm.scoped",
  title: "Scoped packages",
  checklist: 1,
  description:
    "A scoped package (@scope/name, sent as @scope%2fname) publishes, is listed and downloads byte for byte, and its tarball URL carries the scope.",
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
    if (!downloaded.exchange.path.includes(`@${base}`)) ctx.note(`tarball served from ${downloaded.exchange.path}`);
  },
};

export const npmScenarios: readonly Scenario[] = [npmIntegrity, npmDistTags, npmAbbreviated, npmInvalidNames, npmScoped];


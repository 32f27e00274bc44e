import type { Scenario } from "../contract.js";
import { marker, mustHoldFiles, mustMatch, property, publishNew } from "./helpers.js";

export const pullPackage: Scenario = {
  id: "pull.package",
  title: "Pull packages byte for byte",
  checklist: 4,
  description:
    "Property: for generated file trees, a published package downloads with the same size and the same md5, sha1, sha256 and sha512 as the bytes published (and the format's own integrity fields hold).",
  audience: "write",
  async run(ctx) {
    let n = 0;
    await property(ctx, ctx.kit.arbitraries.files(), async (files) => {
      const artifact = await publishNew(ctx, ctx.client, { name: ctx.name(`pull${n++}`), version: "1.0.0", files }, "publishing");
      mustMatch(artifact, await ctx.client.download(artifact.name, artifact.version), "pulling it back");
    });
  },
};

export const pullDuplicate: Scenario = {
  id: "pull.duplicate",
  title: "Pull a version that was pushed twice",
  checklist: 4,
  description:
    "Publishes a version twice with different bytes. Under a reject policy the pull returns the first bytes; under an allow policy it returns the newest; either way every file of the version is listed once with its hash and serves those bytes. Catches registries that overwrite silently or serve a mix.",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("pulldup");
    const first = await publishNew(ctx, ctx.client, { name, version: "2.0.0", files: marker("one") }, "publishing the first copy");
    const second = await ctx.build({ name, version: "2.0.0", files: marker("two") });
    const outcome = await ctx.client.publish(second);
    const expected = ctx.target.policies.duplicates === "allow" && outcome.accepted ? second : first;
    mustMatch(expected, await ctx.client.download(name, "2.0.0"), ctx.target.policies.duplicates === "allow" ? "pulling after an accepted duplicate (the newest copy)" : "pulling after a refused duplicate (the original copy)");
    await mustHoldFiles(ctx, ctx.client, [expected], "after the duplicate publish, every file of the version");
    if (ctx.target.policies.duplicates === "allow" && !outcome.accepted) {
      ctx.note(`the duplicate publish was refused with ${outcome.status} although the policy allows duplicates (push.duplicate reports it)`);
    }
  },
};


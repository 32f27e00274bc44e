/**
 * Scenarios only Terraform modules have: SemVer versions and GitLab's name
 * rule (as properties), the download token in `X-Terraform-Get` (the archive
 * URL must work without the registry credentials and only with its token),
 * and the latest version by SemVer precedence.
 *
 * @module
 */
import { ConformanceFailure, type Exchange, type KitScenario, type ScenarioContext, describeExchange, expectThat, scenarioHelpers } from "@regkit/core";
import { invalidNameArbitrary, invalidVersionArbitrary, versionArbitrary } from "./arbitraries.js";
import type { TerraformClient } from "./client.js";
import { terraformGitLabFacts as facts } from "./gitlab.js";
import { DOWNLOAD_TOKEN, LATEST_DOWNLOAD, MODULE_SYSTEM, type TerraformProfile, VALIDATES_NAMES } from "./profiles.js";
import { compareTerraformVersions } from "./version.js";

type TerraformScenario = KitScenario<TerraformClient, TerraformProfile>;
type TerraformContext = ScenarioContext<TerraformClient, TerraformProfile>;

const { mustAccept, mustMatch, mustRefuse, property } = scenarioHelpers;

function last(ctx: TerraformContext, count = 2): readonly Exchange[] {
  return ctx.exchanges().slice(-count);
}

const names: TerraformScenario = {
  id: "terraform.names",
  title: "SemVer versions and GitLab's module names",
  checklist: 1,
  description:
    "Two properties from GitLab's rules: every generated SemVer 2.0.0 version (pre-releases and build metadata included) is accepted, listed by `versions` and served byte for byte; every generated version outside SemVer (`v1.2.3`, `1.2`, `01.2.3`, `1.2.3.4`) is refused with 400 and a module name outside `[-a-z0-9]+` (an uppercase letter, `_`, `.`) with 422, and neither is listed.",
  audience: "write",
  requires: [VALIDATES_NAMES],
  async run(ctx) {
    const name = ctx.name("semver");
    const published: string[] = [];
    await property(ctx, versionArbitrary().filter((v) => !published.includes(v)), async (version) => {
      const artifact = await ctx.build({ name, version });
      ctx.track(name, version);
      mustAccept(await ctx.client.publish(artifact), `publishing ${name} ${version}`);
      published.push(version);
      const listed = await ctx.client.versions(name);
      expectThat(listed.includes(version), `${name} ${version} was accepted but versions does not list it`, { expected: `a list with ${version}`, actual: JSON.stringify(listed) }, last(ctx, 1));
      mustMatch(artifact, await ctx.client.download(name, version), `downloading ${name} ${version}`);
    });

    const badVersions = ctx.name("badversion");
    await property(ctx, invalidVersionArbitrary(), async (version) => {
      ctx.track(badVersions, version);
      const artifact = await ctx.build({ name: badVersions, version });
      mustRefuse(await ctx.client.publish(artifact), `publishing the non-SemVer version ${JSON.stringify(version)}`, [facts.versionRule.value.status]);
    });
    const listed = await ctx.client.versions(badVersions);
    expectThat(listed.length === 0, `refused versions of ${badVersions} are listed`, { expected: "no versions", actual: JSON.stringify(listed) }, last(ctx, 1));

    await property(ctx, invalidNameArbitrary(), async (bad) => {
      const invalid = `regkit-${ctx.runId}-${bad}/${MODULE_SYSTEM}`;
      ctx.track(invalid, "1.0.0");
      const artifact = await ctx.build({ name: invalid, version: "1.0.0" });
      mustRefuse(await ctx.client.publish(artifact), `publishing the module name ${JSON.stringify(invalid)}`, [facts.nameRule.value.status]);
    });
  },
};

const downloadToken: TerraformScenario = {
  id: "terraform.download-token",
  title: "The X-Terraform-Get URL carries its own credential",
  checklist: 7,
  description:
    "Terraform fetches the archive at the `X-Terraform-Get` URL without its registry credentials, so GitLab puts a short-lived token in the URL (`?token=<JWT>`). The URL must serve the archive byte for byte with no credentials at all; on a private project the same URL without its token, or with a forged one, must be refused (401, 403 or 404) and serve nothing.",
  audience: "write",
  requires: [DOWNLOAD_TOKEN],
  async run(ctx) {
    const name = ctx.name("token");
    const artifact = await ctx.build({ name, version: "1.0.0" });
    ctx.track(name, "1.0.0");
    mustAccept(await ctx.client.publish(artifact), `publishing ${name}`);
    const { url, exchange } = await ctx.client.downloadLocation(name, "1.0.0");
    const token = new URL(url).searchParams.get(facts.fileToken.value.param);
    expectThat(
      token !== null && token !== "",
      `the X-Terraform-Get of ${name}@1.0.0 carries no ${facts.fileToken.value.param} (${describeExchange(exchange)})`,
      { expected: `a URL with ?${facts.fileToken.value.param}=<JWT>`, actual: "no token in the URL" },
      [exchange],
    );
    // What Terraform does: no credentials on the archive's URL.
    mustMatch(artifact, await ctx.client.download(name, "1.0.0"), "fetching the archive with its URL's token only");
    if (ctx.target.capabilities.anonymousRead) {
      ctx.note("the project is public: the URL without its token is not checked (anyone may read)");
      return;
    }
    const denied = ctx.target.profile.deniedStatus ?? [401, 403, 404];
    for (const [what, replacement] of [
      ["without its token", ""],
      ["with a forged token", `${token!.slice(0, Math.max(0, token!.lastIndexOf(".") + 1))}${Buffer.from("regkit-forged").toString("base64url")}`],
    ] as const) {
      const stripped = new URL(url);
      stripped.searchParams.set(facts.fileToken.value.param, replacement);
      const res = await ctx.client.request("GET", stripped.href, {}, true);
      await res.text().catch(() => undefined);
      if (!denied.includes(res.status)) {
        throw new ConformanceFailure(
          `the archive URL of ${name}@1.0.0 ${what} was served (${describeExchange(res.exchange)})`,
          { expected: `one of ${denied.join(", ")}`, actual: `status ${res.status}` },
          [res.exchange],
        );
      }
    }
  },
};

const latest: TerraformScenario = {
  id: "terraform.latest",
  title: "The latest version is the highest by SemVer",
  checklist: 5,
  requires: [LATEST_DOWNLOAD],
  description:
    "Publishes versions out of order (`1.2.0`, `1.10.0`, `1.9.0`, `1.10.0-rc.1`): `GET <module>/download` must redirect (302) to the download of `1.10.0`, the highest by SemVer precedence (not by publish order, not by string order, a pre-release below its release).",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("latest");
    const order = ["1.2.0", "1.10.0", "1.9.0", "1.10.0-rc.1"];
    for (const version of order) {
      ctx.track(name, version);
      mustAccept(await ctx.client.publish(await ctx.build({ name, version })), `publishing ${name} ${version}`);
    }
    const highest = [...order].sort(compareTerraformVersions).at(-1)!;
    const res = await ctx.client.request("GET", `${await ctx.client.modulePath(name)}/download`, ctx.client.readHeaders(), true);
    await res.text().catch(() => undefined);
    const location = res.headers.location ?? "";
    const target = /\/([^/]+)\/download$/.exec(location.split("?")[0] ?? "")?.[1];
    expectThat(
      res.status === facts.latest.value.redirect && target !== undefined && decodeURIComponent(target) === highest,
      `the latest download of ${name} does not lead to ${highest} (${describeExchange(res.exchange)})`,
      { expected: `${facts.latest.value.redirect} to …/${highest}/download`, actual: `status ${res.status}${location ? ` to ${location}` : ""}` },
      [res.exchange],
    );
  },
};

/** Scenarios only this format has; the catalog lives in core. */
export const terraformScenarios: readonly TerraformScenario[] = [names, downloadToken, latest];

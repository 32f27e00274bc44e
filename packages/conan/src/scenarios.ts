/**
 * Scenarios only Conan has: recipe and package revisions (two recipe
 * revisions of one version, two package revisions of one recipe revision,
 * each listed newest first, `latest` the newest, every file served back),
 * search by pattern, and the client's login (`v1/ping`, `users/authenticate`,
 * the Bearer token on `users/check_credentials`, refusals for the negatives).
 *
 * @module
 */
import { type Artifact, type Exchange, type KitScenario, type ScenarioContext, compareDigests, describeExchange, expectThat, scenarioHelpers } from "@regkit/core";
import type { ConanClient, RevisionList } from "./client.js";
import { ConanClient as Client, parseReference } from "./client.js";
import { conanGitLabFacts as facts } from "./gitlab.js";
import { CONANINFO, PACKAGE_PREFIX, layoutOf, withEmptyConaninfo } from "./package.js";
import { type ConanProfile, EMPTY_FILES_DEVIATION, TOKEN_LOGIN } from "./profiles.js";

type ConanScenario = KitScenario<ConanClient, ConanProfile>;
type ConanContext = ScenarioContext<ConanClient, ConanProfile>;

const { mustAccept, mustMatch } = scenarioHelpers;

/** Why the revision scenarios skip under `api: v1`: v1 has no revisions (every upload is revision 0) and no file lists. */
const V2_ONLY = "revisions are Conan's v2 API; the target speaks v1 (api: v1), where every upload is revision 0";

function last(ctx: ConanContext, count = 2): readonly Exchange[] {
  return ctx.exchanges().slice(-count);
}

/** The revisions must be exactly `expected` (newest first), in that order. */
function mustListNewestFirst(list: RevisionList, expected: readonly string[], what: string): void {
  const got = list.revisions.map((r) => r.revision);
  expectThat(
    list.found && expected.every((rev) => got.includes(rev)),
    `${what}: ${describeExchange(list.exchange)} does not list every revision uploaded`,
    { expected: `revisions ${expected.join(", ")}`, actual: list.found ? `revisions ${got.join(", ") || "(none)"}` : `status ${list.exchange.status}` },
    [list.exchange],
  );
  const order = expected.map((rev) => got.indexOf(rev));
  expectThat(
    order.every((at, i) => i === 0 || at > order[i - 1]!),
    `${what}: ${describeExchange(list.exchange)} does not list the revisions newest first`,
    { expected: expected.join(", "), actual: got.join(", ") },
    [list.exchange],
  );
}

/** Every file of the artifact's binary package must be served byte for byte. */
async function mustServePackage(ctx: ConanContext, artifact: Artifact, what: string): Promise<void> {
  const layout = layoutOf(artifact);
  const path = `${Client.recipePath(artifact.name, artifact.version)}/revisions/${layout.recipeRevision}/packages/${layout.packageId}/revisions/${layout.packageRevision}`;
  for (const file of artifact.extra ?? []) {
    if (!file.filename.startsWith(PACKAGE_PREFIX)) continue;
    const filename = file.filename.slice(PACKAGE_PREFIX.length);
    const got = await ctx.client.fetchFile(path, filename, `${artifact.name}/${artifact.version}#${layout.recipeRevision}:${layout.packageId}#${layout.packageRevision}`);
    const differs = got.size !== file.content.size ? "size" : compareDigests(file.content.digests, got.digests);
    expectThat(
      differs === undefined,
      `${what}: the downloaded ${filename} differs from what was uploaded (${describeExchange(got.exchange)})`,
      { expected: `${file.content.size} bytes, sha256 ${file.content.digests.sha256}`, actual: `${got.size} bytes, sha256 ${got.digests.sha256}` },
      [got.exchange],
    );
  }
}

async function mustBeLatest(ctx: ConanContext, path: string, revision: string, what: string): Promise<void> {
  const latest = await ctx.client.latestRevision(path);
  expectThat(
    latest.revision?.revision === revision,
    `${what}: ${describeExchange(latest.exchange)} is not the newest revision`,
    { expected: `revision ${revision}`, actual: latest.revision ? `revision ${latest.revision.revision}` : `status ${latest.exchange.status}` },
    [latest.exchange],
  );
}

const revisions: ConanScenario = {
  id: "conan.revisions",
  title: "Recipe and package revisions, listed and latest",
  checklist: 5,
  description:
    "Uploads two recipe revisions of one version (each with its binary package), then a second package revision of the newest recipe revision. Both recipe revisions must be listed newest first and `latest` must be the second; each recipe revision's `conanfile.py` must be served as uploaded, its manifest hashing to the revision; under the recipe revision both package revisions must be listed newest first, `latest` must be the second, and every package file (conaninfo.txt, conanmanifest.txt, conan_package.tgz) must be served byte for byte.",
  audience: "write",
  async run(ctx) {
    if (ctx.client.api === "v1") ctx.skip(V2_ONLY);
    const name = ctx.name("revs");
    const version = "1.0.0";
    ctx.track(name, version);
    const first = await ctx.build({ name, version, description: "first recipe revision" });
    const second = await ctx.build({ name, version, description: "second recipe revision" });
    // The same recipe as `second` (same recipe revision), another binary: a second package revision.
    const rebuilt = await ctx.build({ name, version, description: "second recipe revision", files: { "rebuilt.txt": new TextEncoder().encode(`rebuilt ${ctx.runId}\n`) } });
    const [a, b, c] = [layoutOf(first), layoutOf(second), layoutOf(rebuilt)];
    mustAccept(await ctx.client.publish(first), "uploading the first recipe revision");
    mustAccept(await ctx.client.publish(second), "uploading a second recipe revision of the same version");

    const recipe = Client.recipePath(name, version);
    mustListNewestFirst(await ctx.client.revisions(recipe), [b.recipeRevision, a.recipeRevision], "listing the recipe revisions");
    await mustBeLatest(ctx, recipe, b.recipeRevision, "the latest recipe revision");
    mustMatch(first, await ctx.client.downloadRevision(name, version, a.recipeRevision), "pulling the first recipe revision by its revision");
    mustMatch(second, await ctx.client.download(name, version), "pulling the latest recipe revision");

    mustAccept(await ctx.client.publish(rebuilt), "uploading a second package revision of the same recipe revision");
    const pkg = `${recipe}/revisions/${b.recipeRevision}/packages/${b.packageId}`;
    mustListNewestFirst(await ctx.client.revisions(pkg), [c.packageRevision, b.packageRevision], "listing the package revisions");
    await mustBeLatest(ctx, pkg, c.packageRevision, "the latest package revision");
    await mustServePackage(ctx, second, "pulling the first package revision");
    await mustServePackage(ctx, rebuilt, "pulling the second package revision");
    ctx.note(`recipe revisions ${b.recipeRevision} (latest), ${a.recipeRevision}; package ${b.packageId} revisions ${c.packageRevision} (latest), ${b.packageRevision}`);
  },
};

const search: ConanScenario = {
  id: "conan.search",
  title: "Search by Conan pattern",
  checklist: 5,
  description:
    "Publishes a recipe and searches with Conan's patterns: `name/*`, a prefix with `*`, the exact `name/version` must all return it; another version (`name/0.0.0-none`) must not; `*` alone must be answered (GitLab answers it with no results).",
  audience: "write",
  requires: ["search"],
  async run(ctx) {
    const name = ctx.name("find");
    const version = "1.2.3";
    ctx.track(name, version);
    mustAccept(await ctx.client.publish(await ctx.build({ name, version })), "publishing the recipe to search for");
    const has = (refs: readonly string[]) => refs.some((ref) => parseReference(ref)?.name === name && parseReference(ref)?.version === version);
    for (const query of [`${name}/*`, `${name.slice(0, -3)}*`, `${name}/${version}`]) {
      const found = await ctx.client.searchReferences(query);
      expectThat(has(found.references), `searching for ${query} does not return ${name}/${version}`, { expected: `${ctx.client.reference(name, version)} among the results`, actual: `${found.status}: ${found.references.slice(0, 5).join(", ") || "no results"}` }, [found.exchange]);
    }
    const other = await ctx.client.searchReferences(`${name}/0.0.0-none`);
    expectThat(!has(other.references), `searching for ${name}/0.0.0-none returns ${name}/${version}`, { expected: "no result of another version", actual: other.references.join(", ") }, [other.exchange]);
    const all = await ctx.client.searchReferences("*");
    expectThat(all.status === 200, `searching for * is not answered (${describeExchange(all.exchange)})`, { expected: "status 200", actual: `status ${all.status}` }, [all.exchange]);
    ctx.note(`* answered ${all.references.length} results`);
  },
};

const emptyFile: ConanScenario = {
  id: "conan.empty-file",
  title: "An empty conaninfo.txt is stored and served",
  checklist: 4,
  description:
    "Uploads a binary package whose `conaninfo.txt` is empty, as Conan 2 writes it for a recipe with no settings, options or requirements (its package id is the SHA-1 of nothing): the package revision's file list must name `conaninfo.txt` and the file must be served, empty. Without it `conan install` fails with `Corrupted …: no conaninfo.txt`. GitLab stores no empty file (a recorded deviation of the gitlab profile).",
  audience: "write",
  async run(ctx) {
    if (ctx.client.api === "v1") ctx.skip(V2_ONLY);
    const name = ctx.name("empty");
    const version = "1.0.0";
    ctx.track(name, version);
    const artifact = withEmptyConaninfo(await ctx.build({ name, version }));
    const layout = layoutOf(artifact);
    mustAccept(await ctx.client.publish(artifact), "uploading a package with an empty conaninfo.txt");
    const path = `${Client.recipePath(name, version)}/revisions/${layout.recipeRevision}/packages/${layout.packageId}/revisions/${layout.packageRevision}`;
    await ctx.deviates(EMPTY_FILES_DEVIATION, async () => {
      const files = await ctx.client.listFiles(path);
      expectThat(
        files.names.includes(CONANINFO),
        `the package revision's file list does not name the empty ${CONANINFO} (${describeExchange(files.exchange)}): conan install would fail with "no conaninfo.txt"`,
        { expected: `${CONANINFO} among the files`, actual: files.names.join(", ") || `status ${files.exchange.status}` },
        [files.exchange],
      );
      const got = await ctx.client.fetchFile(path, CONANINFO, `${name}/${version}:${layout.packageId}`);
      expectThat(got.size === 0, `the empty ${CONANINFO} is served with ${got.size} bytes`, { expected: "0 bytes", actual: `${got.size} bytes` }, [got.exchange]);
    });
  },
};

async function checkLogin(ctx: ConanContext): Promise<void> {
    const ping = await ctx.client.ping();
    expectThat(
      ping.exchange.status === facts.ping.value.status && ping.capabilities.includes(facts.ping.value.capabilities),
      `${describeExchange(ping.exchange)} does not announce the revisions capability`,
      { expected: `200 with X-Conan-Server-Capabilities listing ${facts.ping.value.capabilities}`, actual: `status ${ping.exchange.status}, capabilities "${ping.capabilities.join(",")}"` },
      [ping.exchange],
    );
    const kind = ctx.credential.kind;
    const { token, exchange } = kind === "anonymous" ? await ctx.client.authenticate() : await ctx.client.login();
    if (kind === "anonymous" || kind === "invalid") {
      expectThat(
        token === null && exchange?.status === facts.authenticate.value.unauthenticated,
        `users/authenticate ${kind === "anonymous" ? "without credentials" : "with an invalid credential"} was not refused with 401`,
        { expected: "status 401", actual: exchange ? `status ${exchange.status}` : "no request" },
        exchange ? [exchange] : [],
      );
      return;
    }
    expectThat(typeof token === "string" && token.length > 0, `users/authenticate with the ${kind} credential gave no token`, { expected: "200 with a token", actual: exchange ? `status ${exchange.status}` : "no request" }, exchange ? [exchange] : []);
    const check = await ctx.client.checkCredentials();
    expectThat(check.ok, `users/check_credentials does not take the token users/authenticate issued (${describeExchange(check.exchange)})`, { expected: "status 200", actual: `status ${check.exchange.status}` }, last(ctx));
}

const LOGIN =
  "As `conan remote add` and `conan remote login` do: `v1/ping` must announce the `revisions` capability (Conan 2 refuses a server without it); `v2/users/authenticate` with the credential must answer a token, which `v2/users/check_credentials` must take as `Authorization: Bearer` (`v1/users/…` under `api: v1`).";

const login: ConanScenario = {
  id: "conan.login",
  title: "The client's login: ping, authenticate, Bearer token",
  checklist: 7,
  description: LOGIN,
  audience: "write",
  requires: [TOKEN_LOGIN],
  run: checkLogin,
};

const loginRefused: ConanScenario = {
  id: "conan.login-refused",
  title: "The client's login refused without valid credentials",
  checklist: 7,
  description: `${LOGIN} Without credentials, or with an invalid one, \`users/authenticate\` must be refused with 401; a read-only credential still logs in (its uploads are refused: auth.matrix).`,
  audience: "negative",
  requires: [TOKEN_LOGIN],
  run: checkLogin,
};

export const conanScenarios: readonly ConanScenario[] = [revisions, search, emptyFile, login, loginRefused];

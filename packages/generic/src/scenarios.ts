/**
 * Scenarios only Generic packages have: the `select=package_file` answer,
 * `status=hidden`, GitLab's name, version and file-name rules (as
 * properties), the group's duplicate exception pattern, and files under a
 * directory path.
 *
 * @module
 */
import * as fc from "fast-check";
import {
  type Artifact,
  ConformanceFailure,
  type Exchange,
  type KitScenario,
  type ScenarioContext,
  contentFromBytes,
  describeExchange,
  expectThat,
  scenarioHelpers,
} from "@regkit/core";
import { fileNameArbitrary, invalidFileNameArbitrary, invalidNameArbitrary, invalidVersionArbitrary, nameArbitrary, versionArbitrary } from "./arbitraries.js";
import type { GenericClient } from "./client.js";
import { genericGitLabFacts as facts } from "./gitlab.js";
import {
  DUPLICATE_EXCEPTION_SETTING,
  type GenericProfile,
  HIDDEN_STATUS,
  HIDDEN_UNLISTED,
  PACKAGE_FILES_API,
  SELECT_PACKAGE_FILE,
  VALIDATES_NAMES,
  duplicateExceptionOf,
} from "./profiles.js";

type GenericScenario = KitScenario<GenericClient, GenericProfile>;
type GenericContext = ScenarioContext<GenericClient, GenericProfile>;

const { mustAccept, mustMatch, mustRefuse, property } = scenarioHelpers;

function last(ctx: GenericContext, count = 2): readonly Exchange[] {
  return ctx.exchanges().slice(-count);
}

const text = (value: string): ReturnType<typeof contentFromBytes> => contentFromBytes(new TextEncoder().encode(value));

const packageFile: GenericScenario = {
  id: "generic.package-file",
  title: "select=package_file answers with the stored file",
  checklist: 1,
  description:
    "Uploads a file with `?select=package_file`: the answer must be 200 with the stored package file as JSON (numeric id and package_id, the file name, its size and the SHA-256 of the bytes sent). Without `select` the answer is 201; an unknown `select` value is refused with 400. Where the registry serves `/packages/:id/package_files`, the file is listed there with the same size and SHA-256.",
  audience: "write",
  requires: [SELECT_PACKAGE_FILE],
  async run(ctx) {
    const name = ctx.name("select");
    const content = text(`select ${ctx.runId} ${ctx.credential.kind}\n`);
    ctx.track(name, "1.0.0");
    const selected = await ctx.client.upload(name, "1.0.0", "selected.txt", content, { select: "package_file" });
    mustAccept(selected, "uploading with select=package_file");
    expectThat(
      selected.status === facts.uploadStatus.value.selected && selected.packageFile !== undefined,
      `the upload with select=package_file answered ${selected.status} without the stored file (${describeExchange(selected.exchange)})`,
      { expected: `status ${facts.uploadStatus.value.selected} with the package file as JSON`, actual: `status ${selected.status}` },
      [selected.exchange],
    );
    const record = selected.packageFile!;
    expectThat(
      typeof record.id === "number" && typeof record.package_id === "number" && record.file_name === "selected.txt",
      "the package file answered lacks its id, package_id or file name",
      { expected: 'numeric id and package_id, file_name "selected.txt"', actual: JSON.stringify(record) },
      [selected.exchange],
    );

    const plain = await ctx.client.upload(name, "1.0.0", "plain.txt", content, { select: null });
    mustAccept(plain, "uploading without select");
    expectThat(
      plain.status === facts.uploadStatus.value.created,
      `the upload without select answered ${plain.status}`,
      { expected: `status ${facts.uploadStatus.value.created} Created`, actual: `status ${plain.status}` },
      [plain.exchange],
    );

    const wrong = await ctx.client.upload(name, "1.0.0", "wrong.txt", content, { select: "everything" });
    mustRefuse(wrong, "uploading with select=everything", [facts.selectValues.value.invalid]);

    if (ctx.target.capabilities[PACKAGE_FILES_API]) {
      const files = await ctx.client.packageFiles(name, "1.0.0");
      const listed = files.filter((f) => f.file_name === "selected.txt");
      expectThat(
        listed.length === 1 && listed[0]!.size === content.size && listed[0]!.file_sha256?.toLowerCase() === content.digests.sha256,
        `selected.txt of ${name}@1.0.0 is not listed once with its size and SHA-256 by the Packages API`,
        { expected: `selected.txt, ${content.size} bytes, sha256 ${content.digests.sha256}`, actual: JSON.stringify(listed) },
        last(ctx, 1),
      );
      if (listed[0]?.id !== undefined && record.id !== undefined && listed[0].id !== record.id) {
        throw new ConformanceFailure("the package file id select=package_file answered is not the id the Packages API lists", { expected: `id ${record.id}`, actual: `id ${listed[0].id}` }, last(ctx, 1));
      }
    } else {
      ctx.note(`not compared with /packages/:id/package_files (${PACKAGE_FILES_API}=false)`);
    }
  },
};

const hidden: GenericScenario = {
  id: "generic.hidden",
  title: "status=hidden: downloadable, not listed",
  checklist: 5,
  description:
    "Uploads a version with `?status=hidden`: it must be accepted and download byte for byte (a hidden package is installable), and an unknown status (`processing`) is refused with 400. Where the registry hides them from lists (GitLab's Packages API), the hidden version must not be listed by default and must be listed with `status=hidden`.",
  audience: "write",
  requires: [HIDDEN_STATUS],
  async run(ctx) {
    const name = ctx.name("hidden");
    const artifact = await ctx.build({ name, version: "1.0.0" });
    ctx.track(name, "1.0.0");
    mustAccept(await ctx.client.publishWith(artifact, { status: "hidden" }), "uploading with status=hidden");
    try {
      await checkHidden(ctx, name, artifact);
    } finally {
      // GitLab finds only default, error and deprecated packages by id, so a
      // hidden version cannot be deleted through the Packages API and cleanup
      // would leave it behind. A later upload with a status sets the package's
      // status (the statusValues fact): make it default again so it goes.
      const unhide = await ctx.client.upload(name, "1.0.0", "regkit-unhide.txt", text("cleanup\n"), { status: "default" });
      if (!unhide.accepted) ctx.note(`could not make ${name}@1.0.0 visible again for cleanup: ${describeExchange(unhide.exchange)}`);
    }
  },
};

/** generic.hidden's checks on a version uploaded with status=hidden. */
async function checkHidden(ctx: GenericContext, name: string, artifact: Artifact): Promise<void> {
  mustMatch(artifact, await ctx.client.downloadFile(name, "1.0.0", artifact.filename), "downloading the hidden version");

  const bad = await ctx.client.upload(name, "1.0.1", "bad.txt", text("processing\n"), { status: "processing" });
  ctx.track(name, "1.0.1");
  mustRefuse(bad, "uploading with status=processing", [facts.statusValues.value.invalid]);

  if (!ctx.target.capabilities[HIDDEN_UNLISTED]) {
    ctx.note(`listing not checked (${HIDDEN_UNLISTED}=false)`);
    return;
  }
  const shown = await ctx.client.versions(name);
  expectThat(
    !shown.includes("1.0.0"),
    `the hidden ${name}@1.0.0 is listed by default`,
    { expected: "hidden versions left out of the default list", actual: `versions [${shown.join(", ")}]` },
    last(ctx, 1),
  );
  const hiddenOnes = (await ctx.client.listed(name, "hidden")).map((p) => p.version);
  expectThat(
    hiddenOnes.includes("1.0.0"),
    `the hidden ${name}@1.0.0 is not listed with status=hidden`,
    { expected: "1.0.0 listed with status=hidden", actual: `versions [${hiddenOnes.join(", ")}]` },
    last(ctx, 1),
  );
}

/** What the names property generates: one part of an upload outside GitLab's rules. */
type InvalidUpload = { readonly part: "package_name" | "package_version" | "file_name"; readonly name: string; readonly version: string; readonly file: string };

const names: GenericScenario = {
  id: "generic.names",
  title: "Names, versions and file names follow GitLab's rules",
  checklist: 1,
  description:
    "Two properties from GitLab's regexes: every generated valid name, version and file name (`1.2.bananas`, `v1.2.4-build`, 40-hex commit ids, `~` inside file names) is accepted and served byte for byte; every generated invalid one (`..` in a version, `@` or `~` at either end of a file name, characters outside the rules) is refused with 400 and never served.",
  audience: "write",
  requires: [VALIDATES_NAMES],
  async run(ctx) {
    let n = 0;
    const valid = fc.record({ base: nameArbitrary(), version: versionArbitrary(), file: fileNameArbitrary() });
    await property(ctx, valid, async ({ base, version, file }) => {
      const name = ctx.name(`${base}${n++}`);
      const content = text(`${name} ${version} ${file}\n`);
      ctx.track(name, version);
      mustAccept(await ctx.client.upload(name, version, file, content), `uploading ${name}/${version}/${file}`);
      mustMatch({ name, version, filename: file, content }, await ctx.client.downloadFile(name, version, file), `downloading ${name}/${version}/${file}`);
    });

    const invalid: fc.Arbitrary<InvalidUpload> = fc.oneof(
      invalidNameArbitrary().map((bad) => ({ part: "package_name" as const, name: `regkit-${ctx.runId}-${bad}`, version: "1.0.0", file: "f.bin" })),
      invalidVersionArbitrary().map((bad) => ({ part: "package_version" as const, name: ctx.name("badversion"), version: bad, file: "f.bin" })),
      invalidFileNameArbitrary().map((bad) => ({ part: "file_name" as const, name: ctx.name("badfile"), version: "1.0.0", file: bad })),
    );
    await property(ctx, invalid, async (upload) => {
      ctx.track(upload.name, upload.version);
      const content = text(`${upload.part} must be refused\n`);
      const outcome = await ctx.client.upload(upload.name, upload.version, upload.file, content);
      mustRefuse(outcome, `uploading with an invalid ${upload.part} (${JSON.stringify(upload[upload.part === "package_name" ? "name" : upload.part === "package_version" ? "version" : "file"])})`, [facts.invalidParam.value]);
    });
  },
};

/** A version matching `pattern` that GitLab's version rule accepts, from fast-check (seeded); undefined when none is found. */
function versionMatching(ctx: GenericContext, pattern: RegExp): string | undefined {
  const candidates = fc.sample(fc.stringMatching(pattern, { size: "small" }), { seed: ctx.fc.seed, numRuns: 500 });
  return candidates.find((v) => facts.versionRule.value.test(v) && v.length <= 60);
}

function readPattern(ctx: GenericContext, source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    return ctx.skip(`${DUPLICATE_EXCEPTION_SETTING} is not a regular expression this kit can read (${(error as Error).message})`);
  }
}

const duplicateException: GenericScenario = {
  id: "generic.duplicate-exception",
  title: "The duplicate exception pattern turns the group setting around",
  checklist: 1,
  description:
    `With the group's \`generic_duplicate_exception_regex\` given (setting ${DUPLICATE_EXCEPTION_SETTING}), uploads the same file name twice to a version the pattern matches and to one it does not: the matching package must get the opposite of the duplicates policy (refused with 400 where duplicates are allowed, accepted where they are not), the other one the policy itself.`,
  audience: "write",
  async run(ctx) {
    const source = duplicateExceptionOf(ctx.target.settings);
    if (!source) ctx.skip(`no exception pattern given: set ${DUPLICATE_EXCEPTION_SETTING} to the group's generic_duplicate_exception_regex`);
    const pattern = readPattern(ctx, source);
    const matching = versionMatching(ctx, pattern) ?? ctx.skip(`no version GitLab accepts matches ${source}: the scenario needs one`);
    const name = ctx.name("dupexc");
    if (pattern.test(name)) ctx.skip(`${source} matches the run's package names too (${name}): no package outside it to compare with`);
    const plainVersion = ["1.0.0", "9.9.9", "0.0.1-regkit"].find((v) => !pattern.test(v)) ?? ctx.skip(`${source} matches every plain version the scenario tries`);

    const policy = ctx.target.policies.duplicates;
    const statuses = ctx.target.policies.duplicateStatus;
    const check = async (version: string, exception: boolean): Promise<void> => {
      ctx.track(name, version);
      const first = await ctx.client.upload(name, version, "same.bin", text(`first ${version}\n`));
      mustAccept(first, `uploading ${name}@${version} the first time`);
      const second = await ctx.client.upload(name, version, "same.bin", text(`second ${version}\n`));
      const allowed = exception ? policy === "reject" : policy === "allow";
      const what = `uploading same.bin of ${name}@${version} again (${exception ? `matched by ${source}` : "not matched"}; duplicates ${policy})`;
      if (allowed) mustAccept(second, what);
      else mustRefuse(second, what, statuses);
    };
    await check(matching, true);
    await check(plainVersion, false);
    ctx.note(`${matching} matched ${source}; ${plainVersion} did not`);
  },
};

const paths: GenericScenario = {
  id: "generic.paths",
  title: "Files under a directory path",
  checklist: 4,
  description:
    "Uploads a file under a directory path (`…/:version/dir/sub/file.txt`, GitLab's `(*path/):file_name`) and a file of the same name at the top of the version: each downloads by its own path with its own bytes.",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("paths");
    ctx.track(name, "1.0.0");
    const nested = text(`nested ${ctx.runId}\n`);
    const top = text(`top ${ctx.runId}\n`);
    mustAccept(await ctx.client.upload(name, "1.0.0", "dir/sub/file.txt", nested), "uploading dir/sub/file.txt");
    mustAccept(await ctx.client.upload(name, "1.0.0", "file.txt", top), "uploading file.txt");
    const artifact = (filename: string, content: typeof top): Artifact => ({ name, version: "1.0.0", filename, content });
    mustMatch(artifact("dir/sub/file.txt", nested), await ctx.client.downloadFile(name, "1.0.0", "dir/sub/file.txt"), "downloading dir/sub/file.txt");
    mustMatch(artifact("file.txt", top), await ctx.client.downloadFile(name, "1.0.0", "file.txt"), "downloading file.txt");
  },
};

export const genericScenarios: readonly GenericScenario[] = [packageFile, hidden, names, duplicateException, paths];

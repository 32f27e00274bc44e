import * as fc from "fast-check";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { ConformanceFailure, ProtocolError, scenarioHelpers, type KitScenario, type ScenarioContext } from "@regkit/core";
import { compare } from "@renovatebot/pep440";
import type { PypiClient } from "./client.js";
import { DEBIAN_PIP, pip, pythonCommand, runPythonTool, simpleIndexUrl } from "./drivers.js";
import { normalizeName, parseDistFilename } from "./names.js";
import { HTML_MEDIA_TYPE_DEVIATION, NAME_SPELLINGS_DEVIATION, type PypiProfile } from "./profiles.js";
import { HTML_TYPE, JSON_TYPE } from "./simple.js";

const { property, publishNew, lastExchanges } = scenarioHelpers;

/** A scenario of the PyPI kit: it sees the PyPI adapter and profile, and `requires` names only core's or PyPI's capabilities. */
export type PypiScenario = KitScenario<PypiClient, PypiProfile>;
type PypiContext = ScenarioContext<PypiClient, PypiProfile>;

/** Other PEP 503 spellings of a name: case and separators changed. */
export function spellings(name: string): string[] {
  const upper = name.toUpperCase();
  const dots = name.replace(/[-_.]+/g, ".");
  const unders = name.replace(/[-_.]+/g, "_");
  const mixed = name.replace(/[-_.]+/g, (s, i: number) => (i % 2 ? "-_" : "._"));
  return [...new Set([upper, dots, unders, mixed, `${dots.slice(0, 1).toUpperCase()}${dots.slice(1)}`])].filter((s) => s !== normalizeName(name));
}

/** The normalized name with only its case changed: every index resolves these. */
export function caseSpellings(name: string): string[] {
  const normalized = normalizeName(name);
  const alternating = [...normalized].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join("");
  return [...new Set([normalized.toUpperCase(), alternating])].filter((s) => s !== normalized);
}

/** Whether a profile expects the simple index to answer PEP 691 JSON (GitLab: the pypi_pep_691_json flag). */
const servesJson = (ctx: PypiContext): boolean => ctx.target.capabilities.pep691;

export const pypiNormalization: PypiScenario = {
  id: "pypi.normalization",
  title: "PEP 503 name normalization",
  checklist: 5,
  description:
    "Property: a project published under a generated name (mixed case, `-`, `_`, `.`) is reached from other spellings of it: the normalized name in other cases (FOO-BAR) must serve the project page; spellings with other separators (Foo.Bar, foo_bar) must serve it or redirect to it, as PEP 503 asks (a profile may record that its registry does not: GitLab looks names up only lower-cased).",
  audience: "write",
  async run(ctx) {
    let n = 0;
    let separators: ConformanceFailure | undefined;
    const reach = async (name: string, spelling: string, filename: string): Promise<ConformanceFailure | undefined> => {
      const page = await ctx.client.projectPage(spelling, "text/html", true);
      if (page?.files.some((f) => f.filename === filename)) return undefined;
      return new ConformanceFailure(
        `the spelling ${spelling} of ${name} does not reach its project page`,
        { expected: `/simple/${normalizeName(name)}/ (directly or by redirect) listing ${filename}`, actual: page ? `a page listing [${page.files.map((f) => f.filename).join(", ")}]` : "404" },
        lastExchanges(ctx, 2),
      );
    };
    await property(ctx, ctx.kit.arbitraries.name(), async (base) => {
      const name = `${ctx.name(`n${n++}`)}.${base}`;
      const artifact = await publishNew(ctx, ctx.client, { name, version: "1.0.0" }, `publishing ${name}`);
      for (const spelling of caseSpellings(name)) {
        const failure = await reach(name, spelling, artifact.filename);
        if (failure) throw failure;
      }
      // Seen once is enough: the deviation is decided below, once per run.
      if (separators) return;
      for (const spelling of spellings(name).filter((s) => s.toLowerCase() !== normalizeName(s))) {
        separators = await reach(name, spelling, artifact.filename);
        if (separators) break;
      }
    });
    await ctx.deviates(NAME_SPELLINGS_DEVIATION, async () => {
      if (separators) throw separators;
    });
  },
};

export const pypiHashes: PypiScenario = {
  id: "pypi.hashes",
  title: "Index hashes match the uploaded bytes; wheel and sdist both listed",
  checklist: 4,
  description:
    "After uploading a wheel and an sdist of one version, the project page (HTML, and PEP 691 JSON where the profile has the `pep691` capability) lists both files, and each `#sha256=` fragment / `hashes.sha256` equals the digest of the bytes uploaded. pip refuses files whose hash does not match.",
  audience: "write",
  async run(ctx) {
    const artifact = await publishNew(ctx, ctx.client, { name: ctx.name("hashes"), version: "1.0.0" }, "publishing a wheel and an sdist");
    const expected = new Map([[artifact.filename, artifact.content.digests.sha256], ...(artifact.extra ?? []).map((e) => [e.filename, e.content.digests.sha256] as const)]);
    const forms = servesJson(ctx) ? ["text/html", JSON_TYPE] : ["text/html"];
    if (!servesJson(ctx)) ctx.note(`PEP 691 JSON not checked: the ${ctx.target.profile.name} profile serves HTML only (capability pep691 off)`);
    for (const accept of forms) {
      const page = await ctx.client.projectPage(artifact.name, accept);
      if (!page) throw new ConformanceFailure(`${artifact.name} has no project page`, { expected: "200", actual: "404" }, lastExchanges(ctx, 1));
      for (const [filename, sha256] of expected) {
        const file = page.files.find((f) => f.filename === filename);
        if (!file) throw new ConformanceFailure(`${filename} is not listed (${accept})`, { expected: `${[...expected.keys()].join(", ")} listed`, actual: `[${page.files.map((f) => f.filename).join(", ")}]` }, [page.exchange]);
        if (file.sha256 !== sha256) throw new ConformanceFailure(`the sha256 listed for ${filename} (${accept}) is not the uploaded bytes'`, { expected: sha256, actual: String(file.sha256) }, [page.exchange]);
      }
    }
  },
};

const isHtml = (type: string): boolean => type.startsWith(HTML_TYPE) || type.startsWith("text/html");

export const pypiContentNegotiation: PypiScenario = {
  id: "pypi.content-negotiation",
  title: "PEP 691 content negotiation",
  checklist: 6,
  description:
    "With the `pep691` capability, the project page answers `Accept: application/vnd.pypi.simple.v1+json` with that content type and PEP 691 JSON, and `application/vnd.pypi.simple.v1+html` or `text/html` with HTML; without it (an HTML-only index, which PEP 691 allows; GitLab without the pypi_pep_691_json flag) every Accept gets HTML. Either way all forms list the same files, never JSON under an HTML content type, and the project list (`/simple/`) lists the project in every form. pip asks for JSON first. A content type PEP 691 does not name for the HTML type fails (a profile may record it: deviation `pypi.html-media-type`, devpi's `text_html`).",
  audience: "write",
  async run(ctx) {
    const artifact = await publishNew(ctx, ctx.client, { name: ctx.name("negotiate"), version: "1.0.0" }, "publishing");
    const json = await ctx.client.projectPage(artifact.name, JSON_TYPE);
    // The adapter refuses a page whose content type is neither PEP 691's nor
    // HTML; for the HTML type that is a check of its own, which a profile may
    // record as a deviation (devpi answers `text_html`).
    let html: Awaited<ReturnType<PypiClient["projectPage"]>>;
    let unusable: ProtocolError | undefined;
    try {
      html = await ctx.client.projectPage(artifact.name, HTML_TYPE);
    } catch (error) {
      if (!(error instanceof ProtocolError) || error.exchanges.at(-1)?.status !== 200) throw error;
      unusable = error;
    }
    await ctx.deviates(HTML_MEDIA_TYPE_DEVIATION, async () => {
      if (!unusable) return;
      const exchange = unusable.exchanges.at(-1);
      throw new ConformanceFailure(
        `asking for ${HTML_TYPE} gave a content type PEP 691 does not name`,
        { expected: `content-type ${HTML_TYPE} or text/html`, actual: `content-type ${exchange?.responseHeaders["content-type"] ?? "none"}` },
        unusable.exchanges,
      );
    });
    const plain = await ctx.client.projectPage(artifact.name, "text/html");
    if (servesJson(ctx)) {
      if (!json || !json.contentType.startsWith(JSON_TYPE)) {
        throw new ConformanceFailure(`asking for PEP 691 JSON did not give it`, { expected: `content-type ${JSON_TYPE}`, actual: json?.contentType ?? "404" }, lastExchanges(ctx, 3));
      }
    } else if (!json || !isHtml(json.contentType)) {
      if (json?.contentType.startsWith(JSON_TYPE)) {
        ctx.note(`the registry serves PEP 691 JSON although the ${ctx.target.profile.name} profile expects HTML only: set pep691 (GitLab: pep691Json) to check it`);
      } else {
        throw new ConformanceFailure(`an HTML-only index did not answer HTML to a PEP 691 JSON request`, { expected: `content-type text/html or ${HTML_TYPE}`, actual: json?.contentType ?? "404" }, lastExchanges(ctx, 3));
      }
    }
    // A page seen as a recorded deviation above is not checked again.
    for (const [page, accept] of unusable ? ([[plain, "text/html"]] as const) : ([[html, HTML_TYPE], [plain, "text/html"]] as const)) {
      if (!page || !isHtml(page.contentType)) {
        throw new ConformanceFailure(`asking for ${accept} did not give HTML`, { expected: `content-type ${HTML_TYPE} or text/html`, actual: page?.contentType ?? "404" }, lastExchanges(ctx, 3));
      }
    }
    for (const accept of [JSON_TYPE, "text/html"]) {
      const list = await ctx.client.projectList(accept);
      if (!list.names.some((n) => normalizeName(n) === normalizeName(artifact.name))) {
        throw new ConformanceFailure(`the project list (${accept}) does not list ${artifact.name}`, { expected: `${normalizeName(artifact.name)} listed`, actual: `${list.names.length} projects, ${artifact.name} not among them` }, [list.exchange]);
      }
    }
    const names = (p: { files: readonly { filename: string }[] } | undefined): string => (p?.files ?? []).map((f) => f.filename).sort().join(", ");
    if (names(json) !== names(plain) || (!unusable && names(json) !== names(html))) {
      throw new ConformanceFailure(`the project page lists different files per form`, { expected: names(json), actual: `${unusable ? "(not read)" : names(html)} / ${names(plain)}` }, lastExchanges(ctx, 3));
    }
  },
};

export const pypiPep440Order: PypiScenario = {
  id: "pypi.pep440-order",
  title: "PEP 440 versions, as pip orders them",
  checklist: 5,
  description:
    "Publishes generated PEP 440 versions (epochs, pre, post and dev releases) of projects in random order; all are listed, and pip, asked for the projects with --pre (one pip run for all of them), downloads for each the version PEP 440 orders highest. Runs once per run, under the first write token kind: the order is the index's, whoever asks (pip reads under every kind in clients.roundtrip).",
  audience: "write",
  oncePerRun: true,
  oncePerRunReason: "the order of versions is the index's, whoever asks; pip reads under every kind in clients.roundtrip",
  async run(ctx) {
    const why = await pip.unavailable();
    let n = 0;
    const same = (a: string, b: string): boolean => compare(a, b) === 0;
    // Each generated project is published and listed inside the property; pip
    // then reads them all in one run (one interpreter start, not one per project).
    const projects: { readonly name: string; readonly versions: readonly string[]; readonly highest: string }[] = [];
    await property(ctx, fc.uniqueArray(ctx.kit.arbitraries.version(), { minLength: 2, maxLength: 4, comparator: same }), async (versions) => {
      const name = ctx.name(`order${n++}`);
      for (const version of versions) await publishNew(ctx, ctx.client, { name, version }, `publishing ${name} ${version}`);
      const listed = await ctx.client.versions(name);
      const missing = versions.filter((v) => !listed.some((l) => same(l, v)));
      if (missing.length) throw new ConformanceFailure(`versions of ${name} missing from the index`, { expected: versions.join(", "), actual: listed.join(", ") }, lastExchanges(ctx, 1));
      projects.push({ name, versions, highest: [...versions].sort(compare).at(-1)! });
    });
    if (why) {
      ctx.note(`pip not exercised: ${why}`);
      return;
    }
    const dctx = await ctx.driverContext(pip);
    const dest = join(dctx.workdir, "order");
    await mkdir(dest, { recursive: true });
    const { output } = await runPythonTool(
      await pythonCommand(DEBIAN_PIP),
      ["-m", "pip", "download", "--pre", "--no-deps", "--only-binary", ":all:", "--no-cache-dir", "--disable-pip-version-check", "-d", dest, "--index-url", simpleIndexUrl(dctx), ...projects.map((p) => p.name)],
      dctx,
      { timeoutMs: 120_000 + 10_000 * projects.length },
    );
    const chosen = new Map<string, string>();
    for (const file of await readdir(dest)) {
      const dist = parseDistFilename(file);
      if (dist) chosen.set(normalizeName(dist.name), dist.version);
    }
    for (const { name, versions, highest } of projects) {
      const got = chosen.get(normalizeName(name));
      if (!got || !same(got, highest)) {
        throw new ConformanceFailure(
          `pip chose ${got ?? "nothing"} for ${name} (versions ${versions.join(", ")}), not the highest PEP 440 version`,
          { expected: highest, actual: got ?? `no download: ${output.slice(-200)}` },
          ctx.exchanges().filter((e) => e.via === "pip" && e.path.includes(normalizeName(name))).slice(-3),
        );
      }
    }
    ctx.note(`pip chose the highest version of each of ${projects.length} projects, in one run`);
  },
};

export const pypiScenarios: readonly PypiScenario[] = [pypiNormalization, pypiHashes, pypiContentNegotiation, pypiPep440Order];

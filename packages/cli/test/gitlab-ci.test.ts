// The GitLab CI templates: rendered with their inputs the way GitLab renders
// them, every document is valid against GitLab's own CI schema (vendored in
// tooling/ci/gitlab/, see its README), they run one pinned regkit version,
// install the format's real clients, run only when asked, and use only flags
// the CLI has.
import { readFile } from "node:fs/promises";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import * as ajvFormats from "ajv-formats";
import { describe, expect, test } from "vitest";
import { parseAllDocuments } from "yaml";
import { kits, main } from "@regkit/cli";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const dir = `${root}tooling/ci/gitlab/`;
const TEMPLATE = "regkit.gitlab-ci.yml";
const MATRIX = "matrix.example.gitlab-ci.yml";
/** The formats whose real clients the template must know how to install. */
const FIRST_PARTY = ["npm", "pypi", "maven", "nuget"];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw new Error(`${path}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

function stringsAt(value: unknown, path: string): string[] {
  if (!Array.isArray(value) || !value.every((line): line is string => typeof line === "string")) {
    throw new Error(`${path}: expected a list of strings, got ${JSON.stringify(value)}`);
  }
  return value;
}

interface Template {
  /** The `spec:` header document, when the file has one. */
  readonly header: JsonObject | undefined;
  readonly body: JsonObject;
}

async function load(file: string): Promise<Template> {
  const docs = parseAllDocuments(await readFile(`${dir}${file}`, "utf8"));
  if (!Array.isArray(docs)) throw new Error(`${file}: no YAML document`);
  for (const doc of docs) expect(doc.errors.map((e) => e.message), file).toEqual([]);
  const parsed: unknown[] = docs.map((doc) => doc.toJS());
  if (parsed.length === 1) return { header: undefined, body: objectAt(parsed[0], file) };
  expect(parsed.length, `${file}: a header and one document of jobs`).toBe(2);
  return { header: objectAt(parsed[0], `${file} header`), body: objectAt(parsed[1], `${file} jobs`) };
}

// ---------------------------------------------------------------------------
// GitLab's input interpolation, for what the templates use: `spec:inputs` with
// `default`, `options`, `regex` and `type`, and `$[[ inputs.NAME ]]` in keys
// and values of the document after the header. As in GitLab, an input given
// that the spec does not declare, a declared input with neither a value nor a
// default, a value outside `options` or not matching `regex`, and a reference
// to an undeclared input are errors; a value that is the whole block keeps the
// input's type. Interpolation functions (`| expand_vars`, ...) are not
// implemented: a block that uses one is an error here, so a template that
// starts using one fails this test rather than being half checked.

const BLOCK = /\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]/g;
const WHOLE_BLOCK = /^\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]$/;

function resolveInputs(header: JsonObject | undefined, given: Readonly<Record<string, Json>>): Map<string, Json> {
  const specInputs = header === undefined ? {} : objectAt(objectAt(header.spec, "spec").inputs ?? {}, "spec.inputs");
  for (const name of Object.keys(given)) {
    if (!(name in specInputs)) throw new Error(`unknown input "${name}" (the spec declares ${Object.keys(specInputs).join(", ")})`);
  }
  const values = new Map<string, Json>();
  for (const [name, declared] of Object.entries(specInputs)) {
    const spec = declared === null ? {} : objectAt(declared, `spec.inputs.${name}`);
    const value = name in given ? given[name] : spec.default;
    if (value === undefined) throw new Error(`input "${name}" is required: it has no default and none was given`);
    const type = spec.type ?? "string";
    const actual = Array.isArray(value) ? "array" : typeof value;
    if (actual !== type) throw new Error(`input "${name}" must be a ${String(type)}, got ${JSON.stringify(value)}`);
    if (Array.isArray(spec.options) && !spec.options.includes(value)) {
      throw new Error(`input "${name}": ${JSON.stringify(value)} is not one of the options ${JSON.stringify(spec.options)}`);
    }
    if (typeof spec.regex === "string" && typeof value === "string" && !new RegExp(spec.regex).test(value)) {
      throw new Error(`input "${name}": ${JSON.stringify(value)} does not match ${spec.regex}`);
    }
    values.set(name, value);
  }
  return values;
}

function interpolateString(text: string, values: ReadonlyMap<string, Json>): Json {
  const lookup = (name: string): Json => {
    const value = values.get(name);
    if (value === undefined) throw new Error(`unknown interpolation key "inputs.${name}" in ${JSON.stringify(text)}`);
    return value;
  };
  const whole = WHOLE_BLOCK.exec(text);
  if (whole) return lookup(whole[1] ?? "");
  const out = text.replace(BLOCK, (_block, name: string) => {
    const value = lookup(name);
    return typeof value === "string" ? value : JSON.stringify(value);
  });
  if (out.includes("$[[")) throw new Error(`interpolation this test does not implement in ${JSON.stringify(text)}`);
  return out;
}

function interpolate(value: Json, values: ReadonlyMap<string, Json>): Json {
  if (typeof value === "string") return interpolateString(value, values);
  if (Array.isArray(value)) return value.map((item) => interpolate(item, values));
  if (value === null || typeof value !== "object") return value;
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    const renamed = interpolateString(key, values);
    if (typeof renamed !== "string") throw new Error(`key ${JSON.stringify(key)} became ${JSON.stringify(renamed)}`);
    out[renamed] = interpolate(item, values);
  }
  return out;
}

/** The file as GitLab would run it, with these inputs: its header as written, its jobs interpolated. */
async function render(file: string, given: Readonly<Record<string, Json>> = {}): Promise<Template> {
  const { header, body } = await load(file);
  const rendered = interpolate(body, resolveInputs(header, given));
  return { header, body: objectAt(rendered, `${file} rendered`) };
}

// ---------------------------------------------------------------------------
// Validation against GitLab's CI schema, plus the one rule of GitLab's own
// (server-side) validation the schema does not express: a job must say what
// it runs (`script`, `trigger` or `run`).

const schema: unknown = JSON.parse(await readFile(`${dir}gitlab-ci.schema.json`, "utf8"));
const ajv = new Ajv({ strict: false, allErrors: true });
ajvFormats.default(ajv);
const validateCi = ajv.compile(objectAt(schema, "gitlab-ci.schema.json"));
const validateSpec = ajv.getSchema("https://gitlab.com/.gitlab-ci.yml#/properties/spec");

/** One line per error: where (`prefix` + the instance path), what, and ajv's parameters. */
function describeErrors(errors: readonly ErrorObject[] | null | undefined, prefix = ""): string[] {
  return (errors ?? []).map((e) => `${prefix + e.instancePath || "/"} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
}

/** Everything GitLab would object to in a jobs document: [] when it is valid. */
function jobProblems(doc: JsonObject): string[] {
  const problems = validateCi(doc) ? [] : describeErrors(validateCi.errors);
  for (const [name, job] of Object.entries(doc)) {
    if (name.startsWith(".") || ["default", "include", "stages", "variables", "workflow", "spec"].includes(name)) continue;
    if (isObject(job) && !("script" in job || "trigger" in job || "run" in job)) problems.push(`/${name} has no script, trigger or run`);
  }
  return problems;
}

/** Everything GitLab would object to in a header document: [] when it is valid. */
function headerProblems(doc: JsonObject): string[] {
  const problems = Object.keys(doc)
    .filter((key) => key !== "spec")
    .map((key) => `/${key}: a header holds only spec`);
  if (!validateCi(doc)) problems.push(...describeErrors(validateCi.errors));
  if (!validateSpec) throw new Error("the vendored schema has no #/properties/spec");
  if (!validateSpec(doc.spec)) problems.push(...describeErrors(validateSpec.errors, "/spec"));
  return problems;
}

// ---------------------------------------------------------------------------

function onlyJob(body: JsonObject, file: string): [string, JsonObject] {
  const jobs = Object.entries(body);
  expect(jobs.length, `${file}: one job`).toBe(1);
  const [name, job] = jobs[0] ?? ["", null];
  return [name, objectAt(job, `${file} ${name}`)];
}

async function usage(): Promise<string> {
  let text = "";
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  await main(["--help"], { stdout: out, stderr: process.stderr, env: {} });
  return text;
}

/** The `case` branches of a before_script: format -> Debian packages. */
function clientPackages(job: JsonObject, file: string): Map<string, string> {
  const script = stringsAt(job.before_script, `${file} before_script`).join("\n");
  const branches = new Map<string, string>();
  for (const match of script.matchAll(/^\s*([a-z][a-z0-9-]*)\) packages="([^"]*)"/gm)) branches.set(match[1] ?? "", match[2] ?? "");
  return branches;
}

const cliVersion = String(objectAt(JSON.parse(await readFile(`${root}packages/cli/package.json`, "utf8")), "package.json").version);
const bootstrapNode = /^NODE_VERSION=(\S+)$/m.exec(await readFile(`${root}tooling/bootstrap.sh`, "utf8"))?.[1];

describe("GitLab CI templates", () => {
  for (const file of [TEMPLATE, MATRIX]) {
    test(`${file} parses, publishes JUnit, and uses real regkit flags`, async () => {
      const { body } = await render(file, file === TEMPLATE ? { format: "npm" } : {});
      const [name, job] = onlyJob(body, file);
      expect(name).toMatch(/^regkit/);
      expect(objectAt(job.artifacts, "artifacts").when).toBe("always");
      expect(objectAt(objectAt(job.artifacts, "artifacts").reports, "reports").junit).toBe("regkit-junit.xml");
      const script = stringsAt(job.script, `${file} script`);
      expect(script.join("\n")).toContain('REGKIT_JOB_TOKEN="$CI_JOB_TOKEN"');
      const command = script.filter((line) => line.includes("@regkit/cli@"));
      expect(command, "one regkit command").toHaveLength(1);
      const help = await usage();
      const flags = new Set(command.join(" ").match(/--[a-z][a-z-]+/g));
      expect(flags).toContain("--format");
      for (const flag of flags) expect(help, flag).toContain(flag);
      const reporters = command.join(" ").match(/--reporter (\w+)/g) ?? [];
      expect(reporters).toContain("--reporter junit");
      for (const reporter of reporters) expect(help).toContain(reporter.split(" ")[1]);
    });
  }

  test("every job runs one exact regkit version: this repository's packages/cli version, never latest", async () => {
    const { header } = await load(TEMPLATE);
    const inputs = objectAt(objectAt(header?.spec, "spec").inputs, "inputs");
    expect(objectAt(inputs.regkit_version, "regkit_version").default).toBe(cliVersion);
    const [, job] = onlyJob((await render(TEMPLATE, { format: "npm" })).body, TEMPLATE);
    expect(objectAt(job.variables, "variables").REGKIT_VERSION).toBe(cliVersion);
    const [, matrixJob] = onlyJob((await render(MATRIX)).body, MATRIX);
    expect(objectAt(matrixJob.variables, "variables").REGKIT_VERSION).toBe(cliVersion);
    for (const { file, j } of [{ file: TEMPLATE, j: job }, { file: MATRIX, j: matrixJob }]) {
      const command = stringsAt(j.script, file).join("\n");
      expect(command, file).toContain('npx -y "@regkit/cli@$REGKIT_VERSION" run');
      expect(command, file).not.toMatch(/latest/);
    }
    // A project pins another release; GitLab refuses a tag or a range.
    const pinned = onlyJob((await render(TEMPLATE, { format: "npm", regkit_version: "1.4.2" })).body, TEMPLATE)[1];
    expect(objectAt(pinned.variables, "variables").REGKIT_VERSION).toBe("1.4.2");
    for (const loose of ["latest", "^1.4.0", "1.x", "1.4"]) {
      await expect(render(TEMPLATE, { format: "npm", regkit_version: loose }), loose).rejects.toThrow(/regkit_version.*does not match/);
    }
  });

  test("the default image is the Node of regkit's toolchain on Debian bookworm, whose versions the client pins are", async () => {
    expect(bootstrapNode).toMatch(/^\d+\.\d+\.\d+$/);
    const image = `node:${bootstrapNode}-bookworm`;
    const [, job] = onlyJob((await render(TEMPLATE, { format: "npm" })).body, TEMPLATE);
    expect(job.image).toBe(image);
    expect(onlyJob((await render(MATRIX)).body, MATRIX)[1].image).toBe(image);
  });

  test("each first-party format installs its real clients at pinned versions, the same in both files", async () => {
    const [, job] = onlyJob((await render(TEMPLATE, { format: "npm" })).body, TEMPLATE);
    const [, matrixJob] = onlyJob((await render(MATRIX)).body, MATRIX);
    const template = clientPackages(job, TEMPLATE);
    expect([...template.keys()].sort()).toEqual([...FIRST_PARTY].sort());
    expect(template.get("npm"), "npm comes with the image").toBe("");
    expect(template.get("pypi")).toMatch(/\btwine=\S+/);
    expect(template.get("pypi")).toMatch(/\bpython3-pip=\S+/);
    expect(template.get("maven")).toMatch(/\bmaven=\S+/);
    expect(template.get("maven")).toMatch(/\blibmaven-deploy-plugin-java=\S+/);
    expect(template.get("maven")).toMatch(/\blibmaven-dependency-plugin-java=\S+/);
    expect(template.get("nuget")).toMatch(/\bmono-complete=\S+/);
    for (const [format, packages] of template) {
      for (const pkg of packages.split(" ").filter(Boolean)) expect(pkg, `${format}: ${pkg} has an exact version`).toMatch(/^[a-z0-9.+-]+=[0-9][A-Za-z0-9.+~:-]*$/);
    }
    expect(clientPackages(matrixJob, MATRIX)).toEqual(template);
    // The install is the template's choice to make: `preinstalled` skips it, `client_packages` replaces the list.
    const script = stringsAt(job.before_script, "before_script").join("\n");
    expect(script).toContain('if [ "$REGKIT_CLIENTS" = "install" ]');
    expect(script).toContain('packages="${REGKIT_CLIENT_PACKAGES:-$packages}"');
    const preinstalled = onlyJob((await render(TEMPLATE, { format: "nuget", clients: "preinstalled", client_packages: "mono-complete" })).body, TEMPLATE)[1];
    expect(objectAt(preinstalled.variables, "variables")).toMatchObject({ REGKIT_CLIENTS: "preinstalled", REGKIT_CLIENT_PACKAGES: "mono-complete" });
    await expect(render(TEMPLATE, { format: "nuget", clients: "sometimes" })).rejects.toThrow(/"clients".*not one of the options/);
  });

  test("it runs only when asked: REGKIT_RUN=true, or the `when` input in a Run pipeline pipeline; never otherwise", async () => {
    const expected = (when: string) => [
      { if: '$REGKIT_RUN == "true"', when: "on_success" },
      { if: '$CI_PIPELINE_SOURCE == "web"', when },
      { when: "never" },
    ];
    const [, job] = onlyJob((await render(TEMPLATE, { format: "npm" })).body, TEMPLATE);
    expect(job.rules).toEqual(expected("manual"));
    for (const when of ["on_success", "never"]) {
      expect(onlyJob((await render(TEMPLATE, { format: "npm", when })).body, TEMPLATE)[1].rules).toEqual(expected(when));
    }
    await expect(render(TEMPLATE, { format: "npm", when: "always" })).rejects.toThrow(/"when".*not one of the options/);
    expect(onlyJob((await render(MATRIX)).body, MATRIX)[1].rules).toEqual(expected("manual"));
  });

  describe("rendered for every format and valid against GitLab's CI schema", () => {
    const variants: Record<string, Record<string, Json>> = {
      defaults: {},
      "every input given": {
        profile: "gitlab",
        registry: "https://gitlab.example.com/api/v4/projects/42/packages/x",
        scenarios: "push pull",
        extra_args: "--many-versions 100",
        stage: "conformance",
        when: "on_success",
        regkit_version: "1.2.3",
        image: "registry.example.com/regkit-clients:1",
        clients: "preinstalled",
        client_packages: "maven=3.8.7-1",
      },
    };
    const formats = kits.map((kit) => kit.format);
    test("the kit list has the first-party formats", () => {
      expect(formats).toEqual(expect.arrayContaining(FIRST_PARTY));
    });
    for (const format of formats) {
      for (const [variant, given] of Object.entries(variants)) {
        test(`${TEMPLATE}, format ${format}, ${variant}: header and jobs`, async () => {
          const { header, body } = await render(TEMPLATE, { format, ...given });
          expect(header, "the template has a spec header").toBeDefined();
          expect(headerProblems(header ?? {})).toEqual([]);
          expect(jobProblems(body)).toEqual([]);
          const [name, job] = onlyJob(body, TEMPLATE);
          expect(name).toBe(`regkit-conformance-${format}`);
          expect(job.resource_group).toBe(`regkit-${format}`);
          expect(JSON.stringify(body)).not.toContain("$[[");
          expect(objectAt(job.variables, "variables")).toMatchObject({ REGKIT_FORMAT: format, REGKIT_VERSION: given.regkit_version ?? cliVersion });
          if (given.stage !== undefined) expect(job.stage).toBe(given.stage);
        });
      }
    }
    test(`${MATRIX}: jobs`, async () => {
      const { header, body } = await render(MATRIX);
      expect(header).toBeUndefined();
      expect(jobProblems(body)).toEqual([]);
    });
  });

  describe("the checks fail on a broken copy", () => {
    async function npmJob(): Promise<{ header: JsonObject; name: string; job: JsonObject }> {
      const { header, body } = await render(TEMPLATE, { format: "npm" });
      const [name, job] = onlyJob(body, TEMPLATE);
      return { header: header ?? {}, name, job };
    }

    test("rules with a `when` GitLab does not know", async () => {
      const { name, job } = await npmJob();
      const problems = jobProblems({ [name]: { ...job, rules: [{ if: '$REGKIT_RUN == "true"', when: "sometimes" }] } });
      expect(problems.join("\n")).toContain(`/${name}/rules/0/when must be equal to one of the allowed values`);
    });

    test("a job without script", async () => {
      const { name, job } = await npmJob();
      const { script: _script, ...noScript } = job;
      expect(jobProblems({ [name]: noScript })).toEqual([`/${name} has no script, trigger or run`]);
    });

    test("a misspelt keyword and a bad artifacts:when", async () => {
      const { name, job } = await npmJob();
      const { script, ...rest } = job;
      const problems = jobProblems({ [name]: { ...rest, scripts: script ?? null, artifacts: { ...objectAt(job.artifacts, "artifacts"), when: "later" } } }).join("\n");
      expect(problems).toContain(`/${name} must NOT have additional properties {"additionalProperty":"scripts"}`);
      expect(problems).toContain(`/${name}/artifacts/when must be equal to one of the allowed values`);
    });

    test("a header with an unknown input keyword, a bad input type, or more than spec", async () => {
      const { header } = await npmJob();
      const spec = objectAt(header.spec, "spec");
      const inputs = objectAt(spec.inputs, "inputs");
      const broken = { spec: { inputs: { ...inputs, format: { type: "text", descripton: "typo" } } } };
      const problems = headerProblems(broken).join("\n");
      expect(problems).toContain("/spec/inputs/format/type must be equal to one of the allowed values");
      expect(problems).toContain('must NOT have additional properties {"additionalProperty":"descripton"}');
      expect(headerProblems({ spec, stages: ["test"] })).toContain("/stages: a header holds only spec");
      expect(headerProblems({ spec: { ...spec, input: {} } }).join("\n")).toContain('/spec must NOT have additional properties {"additionalProperty":"input"}');
    });

    test("inputs GitLab would refuse", async () => {
      await expect(render(TEMPLATE, {}), "format has no default").rejects.toThrow(/input "format" is required/);
      await expect(render(TEMPLATE, { format: "npm", fromat: "npm" })).rejects.toThrow(/unknown input "fromat"/);
      await expect(render(TEMPLATE, { format: "Maven!" })).rejects.toThrow(/"format".*does not match/);
      await expect(render(TEMPLATE, { format: "npm", stage: 3 })).rejects.toThrow(/"stage" must be a string/);
    });
  });
});

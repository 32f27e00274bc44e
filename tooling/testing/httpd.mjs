// Starts Apache httpd (Debian's apache2) as a plain WebDAV repository for
// tests: mod_dav and mod_dav_fs on one location under a temporary root, reads
// (GET, HEAD, OPTIONS, PROPFIND) for everyone, every other method with Basic
// credentials, its own configuration file (never /etc/apache2), on a free port
// of 127.0.0.1. The Maven kit's second independent server besides nginx.
//
// Plain mod_dav answers a PUT whose parent collection does not exist with 409
// Conflict (RFC 4918, 9.7.1): a client must MKCOL each parent first, which
// neither mvn's default http transport nor a plain PUT client does. With
// `createParents` (what nginx's create_full_put_path does), a mod_lua fixups
// hook creates the parent directories of an authorised PUT before mod_dav
// stores it; without it, the server is plain mod_dav, for tests that show the 409.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { answersAtRoot, onFreePort, startServer } from "./server.mjs";
import { execFileSync } from "node:child_process";

export const HTTPD = process.env.REGKIT_HTTPD ?? "/usr/sbin/apache2";
export const HTTPD_MODULES = process.env.REGKIT_HTTPD_MODULES ?? "/usr/lib/apache2/modules";
const MODULES = ["mpm_event", "authz_core", "authn_core", "authn_file", "auth_basic", "authz_user", "mime", "dav", "dav_fs", "lua"];

// Runs after authentication and authorisation (fixups): only a PUT already
// allowed gets its parent directories, inside the location's root only.
const CREATE_PARENTS_LUA = `
function create_parents(r)
  if r.method == "PUT" and r.filename then
    -- Past the first missing directory, httpd keeps the rest of the path in path_info.
    local target = r.filename .. (r.path_info or "")
    local parent = target:match("^(.*)/[^/]+$")
    if parent and parent:sub(1, #ROOT) == ROOT and not parent:find("/%.%./") then
      r:mkrdir(parent)
    end
  end
  return apache2.DECLINED
end
`;

/** Why Apache httpd with mod_dav cannot be used here, or undefined. */
export function httpdUnavailable() {
  if (!existsSync(HTTPD)) return `Apache httpd not found at ${HTTPD} (install Debian's apache2, or set REGKIT_HTTPD)`;
  const missing = MODULES.filter((m) => !existsSync(join(HTTPD_MODULES, `mod_${m}.so`)));
  if (missing.length) return `Apache modules ${missing.join(", ")} not in ${HTTPD_MODULES} (install Debian's apache2)`;
  return undefined;
}

/** Apache's version line (`Apache/2.4.62 (Debian)`), or undefined. */
export function httpdVersion() {
  try {
    return /Server version:\s*(.+)/.exec(execFileSync(HTTPD, ["-v"], { encoding: "utf8", timeout: 10_000 }))?.[1]?.trim();
  } catch {
    return undefined;
  }
}

/** httpd refuses to serve as root: as root, its workers run as this user, who must own what they write. */
const RUN_AS = "www-data";

function config(dir, port, options) {
  const root = process.getuid?.() === 0;
  const types = Object.entries(options.types ?? {})
    .map(([type, extensions]) => `AddType ${type} ${extensions.map((e) => `.${e}`).join(" ")}`)
    .join("\n");
  return `ServerRoot "${dir}"
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
PidFile "${dir}/httpd.pid"
ErrorLog "${dir}/error.log"
LogLevel warn
Mutex file:${dir}/run default
${MODULES.map((m) => `LoadModule ${m}_module ${join(HTTPD_MODULES, `mod_${m}.so`)}`).join("\n")}
${root ? `User ${RUN_AS}\nGroup ${RUN_AS}` : ""}
StartServers 1
ServerLimit 1
ThreadsPerChild 32
MaxRequestWorkers 32
Timeout 60
KeepAlive On
LimitRequestBody 0
TypesConfig /dev/null
${types}
DefaultType none
DocumentRoot "${dir}/www"
DAVLockDB "${dir}/lock/DAVLock"
AccessFileName .regkit-no-htaccess
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Directory "${dir}/www">
  Options None
  AllowOverride None
  Require all granted
</Directory>
${options.createParents ? `LuaHookFixups "${dir}/create-parents.lua" create_parents` : ""}
<Location "/${options.location}/">
  Dav On
  AuthType Basic
  AuthName "regkit ${options.location}"
  AuthBasicProvider file
  AuthUserFile "${dir}/htpasswd"
  <LimitExcept GET HEAD OPTIONS PROPFIND>
    Require valid-user
  </LimitExcept>
</Location>
`;
}

/**
 * Starts httpd on a free port of 127.0.0.1 serving `/<location>/` with
 * WebDAV; `close()` stops it and removes everything.
 */
export async function startHttpdDav(options) {
  const reason = httpdUnavailable();
  if (reason) throw new Error(reason);
  const dir = await mkdtemp(join(tmpdir(), "regkit-httpd-"));
  for (const sub of [join("www", options.location), "lock", "run"]) await mkdir(join(dir, sub), { recursive: true });
  const writer = { username: "deployer", token: `dav-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}` };
  // {SHA}: base64 of the password's SHA-1, a format Apache's htpasswd files take on every platform.
  await writeFile(join(dir, "htpasswd"), `${writer.username}:{SHA}${createHash("sha1").update(writer.token).digest("base64")}\n`, { mode: 0o644 });
  if (options.createParents) await writeFile(join(dir, "create-parents.lua"), `local ROOT = ${JSON.stringify(join(dir, "www", options.location))}\n${CREATE_PARENTS_LUA}`);
  if (process.getuid?.() === 0) {
    // mkdtemp's 0700 would keep the workers out of their own root.
    await chmod(dir, 0o755);
    const { uid, gid } = userIds(RUN_AS);
    for (const sub of ["www", join("www", options.location), "lock"]) await chown(join(dir, sub), uid, gid);
  }

  // Most often a failed start is a port taken between freePort and httpd's bind: onFreePort tries another.
  try {
    return await onFreePort(
      "httpd",
      async (port) => {
        await writeFile(join(dir, "httpd.conf"), config(dir, port, options));
        const url = `http://127.0.0.1:${port}/${options.location}`;
        const server = await startServer({
          label: "httpd",
          command: HTTPD,
          args: ["-d", dir, "-f", join(dir, "httpd.conf"), "-DFOREGROUND"],
          url,
          ready: answersAtRoot,
          timeoutMs: 10_000,
          intervalMs: 50,
          spawnOptions: { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, APACHE_RUN_DIR: join(dir, "run"), APACHE_LOCK_DIR: join(dir, "lock"), APACHE_LOG_DIR: dir } },
          // SIGTERM stops httpd at once (its children with it); SIGKILL if it lingers.
          killAfterMs: 5000,
        });
        return {
          url,
          writer,
          root: join(dir, "www", options.location),
          version: httpdVersion(),
          close: async () => {
            await server.close();
            await rm(dir, { recursive: true, force: true });
          },
        };
      },
      () => readFile(join(dir, "error.log"), "utf8").catch(() => ""),
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function userIds(name) {
  const line = execFileSync("getent", ["passwd", name], { encoding: "utf8" }).trim().split(":");
  return { uid: Number(line[2]), gid: Number(line[3]) };
}

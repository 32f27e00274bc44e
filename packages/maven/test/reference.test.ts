// The Maven routes of the reference registry, spoken to directly over HTTP:
// GitLab's answers for files, checksum files, metadata, duplicates and paths.
import { createHash } from "node:crypto";
import type { ReferenceRegistry } from "@regkit/registry";
import { useFaultHarness } from "@regkit/testkit";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { mavenKit } from "@regkit/maven";
import { locateMavenPath, mavenReference } from "@regkit/maven/reference";

let registry: ReferenceRegistry;
let base: string;
let auth: Record<string, string>;

const sha = (algorithm: string, data: string | Uint8Array) => createHash(algorithm).update(data).digest("hex");

async function call(method: string, path: string, body?: string | Uint8Array, headers: Record<string, string> = auth) {
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = method === "HEAD" ? "" : await res.text();
  return { status: res.status, text, headers: res.headers };
}

let counter = 0;
/** A fresh artifact directory per test, so tests never see each other's files. */
function artifact(): { dir: string; id: string } {
  counter += 1;
  const id = `app${counter}`;
  return { dir: `/io/regkit/ref/${id}`, id };
}

const harness = useFaultHarness(mavenKit, mavenReference);

beforeAll(() => {
  registry = harness().registry;
  base = registry.registries.maven!;
  auth = { "PRIVATE-TOKEN": registry.tokens.personal };
});

beforeEach(() => {
  registry.setPolicies("maven", { duplicates: "allow" });
  registry.setLimits("maven", { maxFileSize: mavenReference.limits.maxFileSize });
});

describe("maven reference routes", () => {
  it("stores a file and serves it back with its .sha1 and .md5 computed, .sha256/.sha512 only when uploaded", async () => {
    const { dir, id } = artifact();
    const jar = `${dir}/1.0/${id}-1.0.jar`;
    expect((await call("PUT", jar, "jar bytes")).status).toBe(200);
    const got = await call("GET", jar);
    expect(got.status).toBe(200);
    expect(got.text).toBe("jar bytes");
    expect(got.headers.get("content-length")).toBe("9");
    expect(got.headers.get("content-type")).toBe("application/octet-stream");
    expect(got.headers.get("x-checksum-sha1")).toBe(sha("sha1", "jar bytes"));
    expect(got.headers.get("x-checksum-md5")).toBe(sha("md5", "jar bytes"));
    expect((await call("HEAD", jar)).status).toBe(200);
    for (const algorithm of ["sha1", "md5"]) {
      const sum = await call("GET", `${jar}.${algorithm}`);
      expect(sum.status).toBe(200);
      expect(sum.headers.get("content-type")).toContain("text/plain");
      expect(sum.text).toBe(sha(algorithm, "jar bytes"));
    }
    for (const algorithm of ["sha256", "sha512"]) expect((await call("GET", `${jar}.${algorithm}`)).status).toBe(404);
    expect((await call("PUT", `${jar}.sha256`, sha("sha256", "jar bytes"))).status).toBe(200);
    expect((await call("GET", `${jar}.sha256`)).text).toBe(sha("sha256", "jar bytes"));
    const missing = await call("GET", `${dir}/1.0/${id}-1.0.pom`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toEqual({ message: "404 Package Not Found" });
  });

  it("checks only .sha1 uploads, byte for byte (204/409); .md5 200 unchecked; .sha256/.sha512 stored as given", async () => {
    const { dir, id } = artifact();
    const jar = `${dir}/1.0/${id}-1.0.jar`;
    await call("PUT", jar, "payload");
    expect((await call("PUT", `${jar}.sha1`, sha("sha1", "payload"))).status).toBe(204);
    expect((await call("PUT", `${jar}.sha1`, sha("sha1", "other"))).status).toBe(409);
    expect((await call("PUT", `${jar}.sha1`, `${sha("sha1", "payload")}\n`)).status).toBe(409);
    expect((await call("PUT", `${jar}.sha1`, sha("sha1", "payload").toUpperCase())).status).toBe(409);
    expect((await call("PUT", `${jar}.sha1`, `${sha("sha1", "payload")}  ${id}-1.0.jar`)).status).toBe(409);
    const stated = `${sha("sha256", "payload")}  ${id}-1.0.jar\n`;
    expect((await call("PUT", `${jar}.sha256`, stated)).status).toBe(200);
    expect((await call("GET", `${jar}.sha256`)).text).toBe(stated);
    expect((await call("PUT", `${jar}.sha512`, sha("sha512", "other"))).status).toBe(200);
    expect((await call("GET", `${jar}.sha512`)).text).toBe(sha("sha512", "other"));
    const md5 = await call("PUT", `${jar}.md5`, "anything");
    expect(md5.status).toBe(200);
    expect(md5.text).toBe("");
    // A refused checksum changes nothing; the .md5 is still computed.
    expect((await call("GET", `${jar}.sha1`)).text).toBe(sha("sha1", "payload"));
    expect((await call("GET", `${jar}.md5`)).text).toBe(sha("md5", "payload"));
    expect((await call("PUT", `${dir}/1.0/${id}-1.0.pom.sha1`, sha("sha1", "x"))).status).toBe(404);
  });

  it("keeps artifact-level and SNAPSHOT version-level maven-metadata.xml as files", async () => {
    const { dir, id } = artifact();
    const artifactLevel = `<metadata><groupId>io.regkit.ref</groupId><artifactId>${id}</artifactId></metadata>`;
    expect((await call("PUT", `${dir}/maven-metadata.xml`, artifactLevel)).status).toBe(200);
    expect((await call("GET", `${dir}/maven-metadata.xml`)).text).toBe(artifactLevel);
    expect((await call("PUT", `${dir}/maven-metadata.xml.sha1`, sha("sha1", artifactLevel))).status).toBe(204);
    const versionLevel = "<metadata><version>2.0-SNAPSHOT</version></metadata>";
    expect((await call("PUT", `${dir}/2.0-SNAPSHOT/maven-metadata.xml`, versionLevel)).status).toBe(200);
    expect((await call("GET", `${dir}/2.0-SNAPSHOT/maven-metadata.xml`)).text).toBe(versionLevel);
    expect((await call("GET", `${dir}/maven-metadata.xml`)).text).toBe(artifactLevel);
    const got = await call("GET", `${dir}/maven-metadata.xml`);
    expect(got.headers.get("content-type")).toBe("application/octet-stream");
  });

  it("refuses invalid file names, paths and versions on upload with 400, and only finds nothing on download", async () => {
    const { dir, id } = artifact();
    expect((await call("PUT", `${dir}/1..0/${id}-1..0.jar`, "x")).status).toBe(400);
    expect((await call("PUT", `/io/regkit/a%20b/1.0/ab-1.0.jar`, "x")).status).toBe(400);
    expect((await call("PUT", `/${id}-1.0.jar`, "x")).status).toBe(400);
    expect((await call("PUT", `/io/${id}-1.0.jar`, "x")).status).toBe(400);
    expect((await call("PUT", `${dir}/1.0/${id}%40-1.0.jar`, "x")).status).toBe(400);
    // GitLab checks the file name against its regex only: any name in a version directory is stored.
    expect((await call("PUT", `${dir}/1.0/other-1.0.jar`, "x")).status).toBe(200);
    expect((await call("PUT", `${dir}/1.0+build.7/${id}-1.0+build.7.jar`, "x")).status).toBe(200);
    expect((await call("GET", `${dir}/1.0+build.7/${id}-1.0+build.7.jar`)).text).toBe("x");
    expect((await call("GET", `${dir}/1.0/${id}%21.jar`)).status).toBe(404);
    expect((await call("GET", `/io/regkit/a%20b/1.0/ab-1.0.jar`)).status).toBe(404);
    expect((await call("GET", `/${id}-1.0.jar`)).status).toBe(404);
  });

  it("refuses a duplicate file under a reject policy (SNAPSHOT builds included) but lets metadata be replaced", async () => {
    const { dir, id } = artifact();
    registry.setPolicies("maven", { duplicates: "reject" });
    const jar = `${dir}/1.0/${id}-1.0.jar`;
    expect((await call("PUT", jar, "one")).status).toBe(200);
    const again = await call("PUT", jar, "two");
    expect(again.status).toBe(400);
    expect(again.text).toContain("Duplicate package is not allowed");
    expect((await call("GET", jar)).text).toBe("one");
    expect((await call("PUT", `${dir}/1.0/${id}-1.0.pom`, "<project/>")).status).toBe(200);
    expect((await call("PUT", `${dir}/maven-metadata.xml`, "<metadata/>")).status).toBe(200);
    expect((await call("PUT", `${dir}/maven-metadata.xml`, "<metadata></metadata>")).status).toBe(200);
    expect((await call("PUT", `${dir}/1.0-SNAPSHOT/${id}-1.0-20240101.010101-1.jar`, "b1")).status).toBe(200);
    expect((await call("PUT", `${dir}/1.0-SNAPSHOT/${id}-1.0-20240101.010102-2.jar`, "b2")).status).toBe(400);

    registry.setPolicies("maven", { duplicates: "allow" });
    expect((await call("PUT", jar, "three")).status).toBe(200);
    expect((await call("GET", jar)).text).toBe("three");
  });

  it("answers 400 File is too large past the size limit, as GitLab's Rails does", async () => {
    const { dir, id } = artifact();
    registry.setLimits("maven", { maxFileSize: 10 });
    const over = await call("PUT", `${dir}/1.0/${id}-1.0.jar`, "x".repeat(11));
    expect(over.status).toBe(400);
    expect(JSON.parse(over.text)).toEqual({ message: "400 Bad request - File is too large" });
    expect((await call("PUT", `${dir}/1.0/${id}-1.0.jar`, "x".repeat(10))).status).toBe(200);
  });

  it("takes every GitLab token kind in headers and in Basic, and refuses the rest", async () => {
    const { dir, id } = artifact();
    const t = registry.tokens;
    const basic = (user: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
    });
    const writers: Record<string, string>[] = [
      { "PRIVATE-TOKEN": t.personal },
      { "DEPLOY-TOKEN": t.deploy },
      { "JOB-TOKEN": t.job },
      basic("anyone", t.personal),
      basic(t.deployUsername, t.deploy),
      basic("gitlab-ci-token", t.job),
    ];
    for (const [i, headers] of writers.entries()) {
      expect((await call("PUT", `${dir}/1.${i}/${id}-1.${i}.jar`, "x", headers)).status, JSON.stringify(Object.keys(headers))).toBe(200);
    }
    expect((await call("PUT", `${dir}/2.0/${id}-2.0.jar`, "x", {})).status).toBe(401);
    expect((await call("GET", `${dir}/1.0/${id}-1.0.jar`, undefined, {})).status).toBe(401);
    expect((await call("PUT", `${dir}/2.0/${id}-2.0.jar`, "x", { "PRIVATE-TOKEN": "glpat-nobody" })).status).toBe(401);
    expect((await call("PUT", `${dir}/2.0/${id}-2.0.jar`, "x", { "DEPLOY-TOKEN": t.readonlyDeploy })).status).toBe(403);
    expect((await call("GET", `${dir}/1.0/${id}-1.0.jar`, undefined, { "DEPLOY-TOKEN": t.readonlyDeploy })).status).toBe(200);
    // GitLab reads only the password of a deploy token; a password nobody issued reads as anonymous (401 here: private).
    expect((await call("PUT", `${dir}/2.0/${id}-2.0.jar`, "x", basic("wrong-user", t.deploy))).status).toBe(200);
    expect((await call("PUT", `${dir}/3.0/${id}-3.0.jar`, "x", basic(t.deployUsername, "gldt-nobody"))).status).toBe(401);
  });

  it("serves files at group level, and at instance level only for a package named like its project, read-only", async () => {
    const { dir, id } = artifact();
    await call("PUT", `${dir}/1.0/${id}-1.0.jar`, "grouped");
    const group = registry.groupRegistries.maven!;
    const res = await fetch(`${group}${dir}/1.0/${id}-1.0.jar`, { headers: auth });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("grouped");
    const instance = registry.instanceRegistries.maven!;
    expect((await fetch(`${instance}${dir}/1.0/${id}-1.0.jar`, { headers: auth })).status).toBe(403);
    await call("PUT", `/regkit/demo/1.0/demo-1.0.jar`, "named like the project");
    const own = await fetch(`${instance}/regkit/demo/1.0/demo-1.0.jar`, { headers: auth });
    expect(own.status).toBe(200);
    expect(await own.text()).toBe("named like the project");
    for (const level of [group, instance]) {
      const put = await fetch(`${level}${dir}/1.0/${id}-1.0.jar`, { method: "PUT", headers: auth, body: "x" });
      expect(put.status, level).toBeGreaterThanOrEqual(400);
      expect(put.status, level).toBeLessThan(500);
    }
  });

  it("parses paths into coordinates", () => {
    expect(locateMavenPath("com/example/app/1.0/app-1.0-sources.jar.sha1")).toMatchObject({
      name: "com.example:app",
      version: "1.0",
      filename: "app-1.0-sources.jar",
      checksum: "sha1",
    });
    expect(locateMavenPath("com/example/app/1.0/app-1.0.jar.sha256")).toMatchObject({ filename: "app-1.0.jar.sha256", checksum: undefined });
    expect(locateMavenPath("com/example/app/maven-metadata.xml").version).toBe("@artifact");
    expect(locateMavenPath("com/example/app/maven-metadata.xml.sha512")).toMatchObject({ version: "@artifact", filename: "maven-metadata.xml.sha512" });
    expect(locateMavenPath("com/example/app/1.0-SNAPSHOT/maven-metadata.xml").version).toBe("1.0-SNAPSHOT");
  });
});

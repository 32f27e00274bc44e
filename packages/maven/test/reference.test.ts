// The Maven routes of the reference registry, spoken to directly over HTTP:
// GitLab's answers for files, checksum files, metadata, duplicates and paths.
import { createHash } from "node:crypto";
import { type ReferenceRegistry, createReferenceRegistry } from "@regkit/registry";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { locateMavenPath, mavenReference } from "../src/reference.js";

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

beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [mavenReference] });
  base = registry.registries.maven!;
  auth = { "PRIVATE-TOKEN": registry.tokens.personal };
});

afterAll(async () => {
  await registry?.close();
});

beforeEach(() => {
  registry.setPolicies("maven", { duplicates: "allow" });
  registry.setLimits("maven", { maxFileSize: mavenReference.limits.maxFileSize });
});

describe("maven reference routes", () => {
  it("stores a file and serves it back with its digests as checksum files", async () => {
    const { dir, id } = artifact();
    const jar = `${dir}/1.0/${id}-1.0.jar`;
    expect((await call("PUT", jar, "jar bytes")).status).toBe(200);
    const got = await call("GET", jar);
    expect(got.status).toBe(200);
    expect(got.text).toBe("jar bytes");
    expect(got.headers.get("content-length")).toBe("9");
    expect((await call("HEAD", jar)).status).toBe(200);
    for (const algorithm of ["sha1", "md5", "sha256", "sha512"]) {
      const sum = await call("GET", `${jar}.${algorithm}`);
      expect(sum.status).toBe(200);
      expect(sum.text).toBe(sha(algorithm, "jar bytes"));
    }
    expect((await call("GET", `${dir}/1.0/${id}-1.0.pom`)).status).toBe(404);
  });

  it("verifies checksum uploads as GitLab does: .sha1 204/409, .sha256/.sha512 200/409, .md5 200", async () => {
    const { dir, id } = artifact();
    const jar = `${dir}/1.0/${id}-1.0.jar`;
    await call("PUT", jar, "payload");
    expect((await call("PUT", `${jar}.sha1`, sha("sha1", "payload"))).status).toBe(204);
    const wrong = await call("PUT", `${jar}.sha1`, sha("sha1", "other"));
    expect(wrong.status).toBe(409);
    expect((await call("PUT", `${jar}.sha256`, `${sha("sha256", "payload")}  ${id}-1.0.jar\n`)).status).toBe(200);
    expect((await call("PUT", `${jar}.sha512`, sha("sha512", "other"))).status).toBe(409);
    const md5 = await call("PUT", `${jar}.md5`, "anything");
    expect(md5.status).toBe(200);
    expect(md5.text).toBe("");
    // A refused checksum changes nothing.
    expect((await call("GET", `${jar}.sha1`)).text).toBe(sha("sha1", "payload"));
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
    expect(got.headers.get("content-type")).toContain("xml");
  });

  it("refuses invalid paths and versions with 400", async () => {
    const { dir, id } = artifact();
    expect((await call("PUT", `${dir}/1..0/${id}-1..0.jar`, "x")).status).toBe(400);
    expect((await call("PUT", `/io/regkit/a%20b/1.0/a%20b-1.0.jar`, "x")).status).toBe(400);
    expect((await call("PUT", `${dir}/1.0/other-1.0.jar`, "x")).status).toBe(400);
    expect((await call("PUT", `/${id}-1.0.jar`, "x")).status).toBe(400);
    expect((await call("PUT", `${dir}/1.0/${id}%40-1.0.jar`, "x")).status).toBe(400);
    expect((await call("GET", `${dir}/1.0/${id}%21.jar`)).status).toBe(400);
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

  it("answers 413 past the size limit", async () => {
    const { dir, id } = artifact();
    registry.setLimits("maven", { maxFileSize: 10 });
    expect((await call("PUT", `${dir}/1.0/${id}-1.0.jar`, "x".repeat(11))).status).toBe(413);
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
    expect((await call("PUT", `${dir}/2.0/${id}-2.0.jar`, "x", basic("wrong-user", t.deploy))).status).toBe(401);
  });

  it("serves files at group and instance level too, read-only", async () => {
    const { dir, id } = artifact();
    await call("PUT", `${dir}/1.0/${id}-1.0.jar`, "grouped");
    for (const level of [registry.groupRegistries.maven!, registry.instanceRegistries.maven!]) {
      const res = await fetch(`${level}${dir}/1.0/${id}-1.0.jar`, { headers: auth });
      expect(res.status, level).toBe(200);
      expect(await res.text()).toBe("grouped");
      expect((await fetch(`${level}${dir}/1.0/${id}-1.0.jar`, { method: "PUT", headers: auth, body: "x" })).status).toBe(405);
    }
  });

  it("parses paths into coordinates", () => {
    expect(locateMavenPath("com/example/app/1.0/app-1.0-sources.jar.sha1")).toEqual({
      name: "com.example:app",
      version: "1.0",
      filename: "app-1.0-sources.jar",
      checksum: "sha1",
    });
    expect(locateMavenPath("com/example/app/maven-metadata.xml").version).toBe("@artifact");
    expect(locateMavenPath("com/example/app/1.0-SNAPSHOT/maven-metadata.xml").version).toBe("1.0-SNAPSHOT");
  });
});

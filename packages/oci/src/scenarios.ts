import { randomBytes } from "node:crypto";
import * as fc from "fast-check";
import { ConformanceFailure, contentFromBytes, describeExchange, scenarioHelpers, type Artifact, type Exchange, type KitScenario, type ScenarioContext } from "@regkit/core";
import { index as indexArbitrary, manifest as manifestArbitrary } from "./arbitraries.js";
import { bearerChallenge, parseScope, tokenAccess } from "./auth.js";
import type { Answer, OciClient } from "./client.js";
import {
  CLIENT_ACCEPT,
  CONFIG_FILE,
  EMPTY_DESCRIPTOR,
  EMPTY_JSON,
  MANIFEST_FILE,
  MEDIA,
  describe,
  imageIndex,
  imageManifest,
  jsonBytes,
  parseManifest,
  referrersTag,
  sha256Digest,
  type Descriptor,
  type ImageManifest,
} from "./manifest.js";
import { CHUNK_ORDER, TAGS_PAGINATION, type OciProfile } from "./profiles.js";

type Ctx = ScenarioContext<OciClient, OciProfile>;
type OciScenario = KitScenario<OciClient, OciProfile>;

const { mustAccept, publishNew, property } = scenarioHelpers;

/** "what: expected X, got Y (request)" as a failure with the exchange. */
function fail(what: string, expected: string, actual: string, exchanges: readonly Exchange[]): never {
  const where = exchanges.at(-1);
  throw new ConformanceFailure(`${what}${where ? ` (${describeExchange(where)})` : ""}`, { expected, actual }, exchanges);
}

function statusText(a: Answer): string {
  return `status ${a.status}${a.codes.length ? ` ${a.codes.join(", ")}` : ""}`;
}

/** The answer must have one of `statuses`, and when `codes` are given, carry one of them in its error body. */
function mustAnswer(a: Answer, statuses: readonly number[], what: string, codes: readonly string[] = []): void {
  if (!statuses.includes(a.status)) fail(`${what}: answered ${a.status}`, `status ${statuses.join(" or ")}${codes.length ? ` with ${codes.join(" or ")}` : ""}`, statusText(a), [a.exchange]);
  if (codes.length && !a.codes.some((c) => codes.includes(c))) {
    fail(`${what}: the error body does not carry the spec's code`, `an error body {"errors":[{"code":${codes.map((c) => `"${c}"`).join(" or ")}}]}`, a.body ? `body ${a.body.slice(0, 200)}` : "no body", [a.exchange]);
  }
}

/** Pushes a blob monolithically; must be accepted with 201. */
async function pushBlob(ctx: Ctx, name: string, bytes: Uint8Array): Promise<Descriptor> {
  const up = await ctx.client.uploadBlob(name, contentFromBytes(bytes));
  mustAnswer(up, [201], `uploading a ${bytes.byteLength}-byte blob to ${ctx.client.repository(name)}`);
  return describe("application/octet-stream", bytes);
}

/** Pushes the blobs of a manifest and the manifest under `reference`; the PUT must answer 201. */
async function pushManifest(ctx: Ctx, name: string, reference: string, blobs: readonly Uint8Array[], manifest: unknown, mediaType: string): Promise<{ bytes: Uint8Array; digest: string; put: Answer }> {
  for (const bytes of blobs) await pushBlob(ctx, name, bytes);
  const bytes = jsonBytes(manifest);
  const put = await ctx.client.putManifest(name, reference, bytes, mediaType);
  mustAnswer(put, [201], `pushing a manifest to ${ctx.client.repository(name)}:${reference}`);
  return { bytes, digest: sha256Digest(bytes), put };
}

/** pushManifest under a tag, then tracks the tag so that cleanup deletes it (and finds the repository). */
async function pushTagged(ctx: Ctx, name: string, tag: string, blobs: readonly Uint8Array[], manifest: unknown, mediaType: string): Promise<{ bytes: Uint8Array; digest: string; put: Answer }> {
  const pushed = await pushManifest(ctx, name, tag, blobs, manifest, mediaType);
  ctx.track(name, tag);
  return pushed;
}

/** A tiny image (config + one layer of random bytes), not yet pushed. */
function tinyImage(extra: { artifactType?: string; subject?: Descriptor } = {}): { blobs: Uint8Array[]; manifest: ImageManifest } {
  const layer = new Uint8Array(randomBytes(64));
  if (extra.artifactType) {
    return { blobs: [EMPTY_JSON, layer], manifest: imageManifest(EMPTY_DESCRIPTOR, [describe("application/vnd.regkit.payload.v1", layer)], extra) };
  }
  const config = jsonBytes({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha256Digest(layer)] } });
  return { blobs: [config, layer], manifest: imageManifest(describe(MEDIA.config, config), [describe(MEDIA.layerTar, layer)], extra) };
}

/** Publishes a catalog image (build + publish, tracked) and returns its manifest's bytes and digest. */
async function publishImage(ctx: Ctx, name: string, tag: string, what: string): Promise<{ bytes: Uint8Array; digest: string; artifact: Artifact }> {
  const artifact = await publishNew(ctx, ctx.client, { name, version: tag }, what);
  const bytes = artifact.extra?.find((f) => f.filename === MANIFEST_FILE)?.content.bytes;
  if (!bytes) throw new Error("the OCI kit built an image without its manifest");
  return { bytes, digest: sha256Digest(bytes), artifact };
}

const chunkedUpload: OciScenario = {
  id: "oci.chunked-upload",
  title: "Chunked blob upload, resumed after a dropped chunk",
  checklist: 1,
  description:
    "Uploads a blob in three PATCH chunks (Content-Range), dropping the second: the registry must refuse the out-of-order third chunk with 416, report the bytes it holds in the upload status (GET on the Location: 204 with Range 0-N), take the upload resumed from there, and close it with PUT ?digest= (201, Docker-Content-Digest); the blob then pulls back byte for byte. Each PATCH answer must carry Location and Range.",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("chunked");
    const repo = ctx.client.repository(name);
    const chunk = 64 * 1024;
    const bytes = new Uint8Array(randomBytes(chunk * 2 + 1000));
    const parts = [bytes.subarray(0, chunk), bytes.subarray(chunk, 2 * chunk), bytes.subarray(2 * chunk)];
    const offsets = [0, chunk, 2 * chunk];
    const push = ["pull", "push"];
    const start = await ctx.client.ask({ method: "POST", path: ctx.client.path(name, "blobs/uploads/"), headers: { "content-length": "0" } }, repo, push);
    mustAnswer(start, [202], "starting a chunked upload");
    let location = start.headers.location;
    if (!location) fail("starting a chunked upload answered 202 without a Location", "a Location header", "none", [start.exchange]);
    const origin = new URL(ctx.target.registry).origin;
    const patch = async (i: number): Promise<Answer> => {
      const part = parts[i]!;
      const from = offsets[i]!;
      return ctx.client.ask(
        {
          method: "PATCH",
          path: new URL(location!, origin).toString(),
          headers: { "content-type": "application/octet-stream", "content-length": String(part.byteLength), "content-range": `${from}-${from + part.byteLength - 1}` },
          body: part,
        },
        repo,
        push,
      );
    };
    const accepted = (a: Answer, i: number): void => {
      mustAnswer(a, [202], `uploading chunk ${i + 1}`);
      const end = offsets[i]! + parts[i]!.byteLength - 1;
      const range = a.headers.range;
      if (range !== `0-${end}` && range !== `bytes=0-${end}`) fail(`chunk ${i + 1}: the Range the registry reports is not the bytes it holds`, `Range: 0-${end}`, `Range: ${range ?? "none"}`, [a.exchange]);
      if (!a.headers.location) fail(`chunk ${i + 1}: no Location to send the next chunk to`, "a Location header", "none", [a.exchange]);
      location = a.headers.location;
    };
    accepted(await patch(0), 0);
    // The second chunk is "dropped": the third arrives with a Content-Range that does not follow what the registry holds.
    const misplaced = await ctx.deviates(CHUNK_ORDER, async () => {
      const outOfOrder = await patch(2);
      mustAnswer(outOfOrder, [416], "a chunk whose Content-Range skips bytes (the one before it was dropped)");
    });
    if (misplaced) {
      // The registry took the misplaced bytes: this upload is spoiled; the chunked upload is still checked, in order, in a fresh one.
      const fresh = await ctx.client.ask({ method: "POST", path: ctx.client.path(name, "blobs/uploads/"), headers: { "content-length": "0" } }, repo, push);
      mustAnswer(fresh, [202], "starting a chunked upload again");
      location = fresh.headers.location;
      if (!location) fail("starting a chunked upload answered 202 without a Location", "a Location header", "none", [fresh.exchange]);
      accepted(await patch(0), 0);
    } else {
      const status = await ctx.client.ask({ method: "GET", path: new URL(location!, origin).toString() }, repo, push);
      mustAnswer(status, [204], "reading the upload's status after the dropped chunk");
      if (status.headers.range !== `0-${chunk - 1}`) fail("the upload status does not report the bytes received before the dropped chunk", `Range: 0-${chunk - 1}`, `Range: ${status.headers.range ?? "none"}`, [status.exchange]);
      if (status.headers.location) location = status.headers.location;
    }
    accepted(await patch(1), 1);
    accepted(await patch(2), 2);
    const digest = sha256Digest(bytes);
    const close = new URL(location!, origin);
    close.searchParams.set("digest", digest);
    const done = await ctx.client.ask({ method: "PUT", path: close.toString(), headers: { "content-length": "0" } }, repo, push);
    mustAnswer(done, [201], "closing the resumed upload with its digest");
    if (done.headers["docker-content-digest"] !== undefined && done.headers["docker-content-digest"] !== digest) {
      fail("closing the upload: Docker-Content-Digest is not the blob's digest", digest, done.headers["docker-content-digest"], [done.exchange]);
    }
    const got = await ctx.client.getBlob(name, { mediaType: "application/octet-stream", digest, size: bytes.byteLength });
    ctx.note(`${bytes.byteLength} bytes in 3 chunks, pulled back as ${got.size}`);
    // Tagged so that cleanup finds the repository.
    const image = tinyImage();
    await pushTagged(ctx, name, "chunked", image.blobs, image.manifest, MEDIA.manifest);
  },
};

const manifestByDigest: OciScenario = {
  id: "oci.manifest-digest",
  title: "Manifests by tag and by digest; HEAD and GET; Docker-Content-Digest",
  checklist: 4,
  description:
    "Pushes an image by tag and another manifest by digest only. The PUT answers 201 with a Location and the manifest's digest in Docker-Content-Digest; the manifest pulls back by tag and by digest with the same bytes; HEAD on the manifest and on a blob answers 200 with no body, the same Docker-Content-Digest and the Content-Length of the GET; a blob pushed a second time is taken (201) under the same digest; a manifest pushed by digest is not listed among the tags.",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("digest");
    const { bytes, digest, artifact } = await publishImage(ctx, name, "v1", "pushing an image by tag");
    const put = ctx.exchanges().filter((e) => e.method === "PUT" && e.path.includes("/manifests/")).at(-1);
    if (put) {
      const announced = put.responseHeaders["docker-content-digest"];
      if (announced !== undefined && announced !== digest) fail("the PUT of a manifest announces another digest", `Docker-Content-Digest: ${digest}`, `Docker-Content-Digest: ${announced}`, [put]);
      if (!put.responseHeaders.location) fail("the PUT of a manifest answered without a Location", "a Location header", "none", [put]);
    }
    for (const reference of ["v1", digest]) {
      const got = await ctx.client.getManifest(name, reference);
      if (!got) fail(`pulling ${name} by ${reference === digest ? "digest" : "tag"}`, "status 200", "404", ctx.exchanges().slice(-1));
      if (got.digest !== digest) fail(`the manifest pulled by ${reference} has other bytes than were pushed`, digest, got.digest, [got.exchange]);
      if (got.announced === undefined) fail(`pulling by ${reference}: no Docker-Content-Digest`, `Docker-Content-Digest: ${digest}`, "none", [got.exchange]);
      const head = await ctx.client.ask({ method: "HEAD", path: ctx.client.path(name, `manifests/${reference}`), headers: { accept: CLIENT_ACCEPT } }, ctx.client.repository(name), ["pull"]);
      mustAnswer(head, [200], `HEAD of the manifest by ${reference}`);
      if (head.headers["docker-content-digest"] !== digest) fail(`HEAD of the manifest by ${reference}: another Docker-Content-Digest than GET`, digest, head.headers["docker-content-digest"] ?? "none", [head.exchange]);
      if (head.headers["content-length"] !== undefined && Number(head.headers["content-length"]) !== bytes.byteLength) {
        fail(`HEAD of the manifest by ${reference}: another Content-Length than the GET's body`, String(bytes.byteLength), head.headers["content-length"], [head.exchange]);
      }
    }
    const manifest = parseManifest(bytes).manifest!;
    const layer = manifest.layers[0]!;
    const headBlob = await ctx.client.ask({ method: "HEAD", path: ctx.client.path(name, `blobs/${layer.digest}`) }, ctx.client.repository(name), ["pull"]);
    mustAnswer(headBlob, [200], "HEAD of a blob");
    if (Number(headBlob.headers["content-length"]) !== layer.size) fail("HEAD of a blob: Content-Length is not the blob's size", String(layer.size), headBlob.headers["content-length"] ?? "none", [headBlob.exchange]);
    if (headBlob.headers["docker-content-digest"] !== undefined && headBlob.headers["docker-content-digest"] !== layer.digest) {
      fail("HEAD of a blob: another Docker-Content-Digest", layer.digest, headBlob.headers["docker-content-digest"], [headBlob.exchange]);
    }
    // The same blob pushed again is taken again, under the same digest.
    const config = artifact.extra?.find((f) => f.filename === CONFIG_FILE)?.content;
    if (!config) throw new Error("the OCI kit built an image without its config");
    const again = await ctx.client.uploadBlob(name, config);
    mustAnswer(again, [201], "pushing a blob the repository already holds");
    if (again.headers["docker-content-digest"] !== undefined && again.headers["docker-content-digest"] !== manifest.config.digest) {
      fail("pushing a blob again: another Docker-Content-Digest", manifest.config.digest, again.headers["docker-content-digest"], [again.exchange]);
    }
    // A manifest pushed by digest alone: served by digest, not a tag.
    const untagged = tinyImage();
    const byDigest = jsonBytes(untagged.manifest);
    const pushed = await pushManifest(ctx, name, sha256Digest(byDigest), untagged.blobs, untagged.manifest, MEDIA.manifest);
    const back = await ctx.client.getManifest(name, pushed.digest);
    if (!back) fail("a manifest pushed by digest is not served by that digest", "status 200", "404", ctx.exchanges().slice(-1));
    const tags = await ctx.client.versions(name);
    if (tags.length !== 1 || tags[0] !== "v1") fail("a manifest pushed by digest shows among the tags", "tags [v1]", `tags [${tags.join(", ")}]`, ctx.exchanges().slice(-1));
  },
};

const accept: OciScenario = {
  id: "oci.accept",
  title: "Accept negotiation: a manifest comes in its own media type",
  checklist: 4,
  description:
    "Pulls an image manifest and an image index with the Accept headers real clients send (only the type itself, and skopeo's list of OCI and Docker types): each must come back with its own media type as Content-Type and the bytes pushed.",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("accept");
    const { digest } = await publishImage(ctx, name, "image", "pushing an image");
    const other = tinyImage();
    const child = await pushManifest(ctx, name, sha256Digest(jsonBytes(other.manifest)), other.blobs, other.manifest, MEDIA.manifest);
    const index = imageIndex([{ ...describe(MEDIA.manifest, child.bytes), platform: { architecture: "amd64", os: "linux" } }]);
    const pushed = await pushTagged(ctx, name, "index", [], index, MEDIA.index);
    const cases: [string, string, string, string][] = [
      ["image", MEDIA.manifest, MEDIA.manifest, digest],
      ["image", CLIENT_ACCEPT, MEDIA.manifest, digest],
      ["index", MEDIA.index, MEDIA.index, pushed.digest],
      ["index", CLIENT_ACCEPT, MEDIA.index, pushed.digest],
    ];
    for (const [tag, acceptHeader, type, wanted] of cases) {
      const got = await ctx.client.getManifest(name, tag, acceptHeader);
      if (!got) fail(`pulling ${tag} with Accept: ${acceptHeader}`, "status 200", "404", ctx.exchanges().slice(-1));
      const contentType = got.contentType.split(";")[0]!.trim();
      if (contentType !== type) fail(`pulling ${tag} with Accept: ${acceptHeader}: another Content-Type than the manifest's media type`, `Content-Type: ${type}`, `Content-Type: ${got.contentType || "none"}`, [got.exchange]);
      if (got.digest !== wanted) fail(`pulling ${tag} with Accept: ${acceptHeader}: other bytes than were pushed`, wanted, got.digest, [got.exchange]);
    }
  },
};

const imageIndexScenario: OciScenario = {
  id: "oci.index",
  title: "Image index over two platforms",
  checklist: 1,
  description:
    "Pushes two image manifests by digest and an image index naming both (with platforms) by tag: the index pulls back with the same bytes and media type, and every manifest it names pulls by digest.",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("index");
    const platforms = [
      { architecture: "amd64", os: "linux" },
      { architecture: "arm64", os: "linux" },
    ];
    const children: Descriptor[] = [];
    for (const platform of platforms) {
      const image = tinyImage();
      const bytes = jsonBytes(image.manifest);
      await pushManifest(ctx, name, sha256Digest(bytes), image.blobs, image.manifest, MEDIA.manifest);
      children.push({ ...describe(MEDIA.manifest, bytes), platform });
    }
    const pushed = await pushTagged(ctx, name, "multi", [], imageIndex(children), MEDIA.index);
    const got = await ctx.client.getManifest(name, "multi", MEDIA.index);
    if (!got) fail("pulling the index by tag", "status 200", "404", ctx.exchanges().slice(-1));
    if (got.digest !== pushed.digest) fail("the index pulled back has other bytes", pushed.digest, got.digest, [got.exchange]);
    if (!got.index) fail("the index pulled back is not an index", MEDIA.index, got.contentType, [got.exchange]);
    for (const child of children) {
      const back = await ctx.client.getManifest(name, child.digest);
      if (!back) fail(`a manifest the index names (${child.platform?.architecture}) is not served by digest`, "status 200", "404", ctx.exchanges().slice(-1));
    }
  },
};

const referrers: OciScenario = {
  id: "oci.referrers",
  title: "Artifact with artifactType and subject; referrers API or tag schema",
  checklist: 5,
  description:
    "Pushes an image, then an artifact (artifactType, the empty config, a subject naming the image) by digest. Where the profile has the referrers API, GET /referrers/<digest> must answer an index listing the artifact with its artifactType (also with ?artifactType= filtering); where it does not, the registry must answer 404 there and the client's fallback must work: the referrers tag schema (an index under the tag sha256-<hex>) pushed and pulled back listing the artifact.",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("refs");
    const repo = ctx.client.repository(name);
    const subject = await publishImage(ctx, name, "subject", "pushing the subject image");
    const artifactType = "application/vnd.regkit.signature.v1";
    const artifact = tinyImage({ artifactType, subject: describe(MEDIA.manifest, subject.bytes) });
    const bytes = jsonBytes(artifact.manifest);
    const pushed = await pushManifest(ctx, name, sha256Digest(bytes), artifact.blobs, artifact.manifest, MEDIA.manifest);
    const ociSubject = pushed.put.headers["oci-subject"];
    const listing = await ctx.client.ask({ method: "GET", path: ctx.client.path(name, `referrers/${subject.digest}`), headers: { accept: MEDIA.index } }, repo, ["pull"]);
    const expectEntry = (doc: string, what: string, a: Answer): void => {
      const parsed = parseManifest(new TextEncoder().encode(doc));
      const entry = parsed.index?.manifests.find((m) => m.digest === pushed.digest);
      if (!entry) fail(`${what} does not list the artifact`, `an index listing ${pushed.digest}`, doc.slice(0, 300) || "empty body", [a.exchange]);
      if (entry.artifactType !== artifactType) fail(`${what} lists the artifact without its artifactType`, `artifactType ${artifactType}`, `artifactType ${entry.artifactType ?? "none"}`, [a.exchange]);
    };
    if (ctx.target.capabilities.referrers) {
      mustAnswer(listing, [200], "listing the referrers of the subject");
      if (ociSubject !== undefined && ociSubject !== subject.digest) fail("the artifact's PUT answers another OCI-Subject", subject.digest, ociSubject, [pushed.put.exchange]);
      expectEntry(listing.body, "the referrers API", listing);
      const filtered = await ctx.client.ask(
        { method: "GET", path: `${ctx.client.path(name, `referrers/${subject.digest}`)}?artifactType=${encodeURIComponent(artifactType)}`, headers: { accept: MEDIA.index } },
        repo,
        ["pull"],
      );
      mustAnswer(filtered, [200], "listing the referrers filtered by artifactType");
      expectEntry(filtered.body, "the referrers API filtered by artifactType", filtered);
      return;
    }
    if (listing.status === 200) ctx.note(`the registry answers the referrers API (${describeExchange(listing.exchange)}) though the ${ctx.target.profile.name} profile says it has none: set referrers=true`);
    else mustAnswer(listing, [404], "the referrers API of a registry without it (clients then use the tag schema)");
    // The tag schema fallback (distribution-spec "Referrers Tag Schema"): the client keeps the index itself.
    const tag = referrersTag(subject.digest);
    const before = await ctx.client.getManifest(name, tag, MEDIA.index);
    const existing = before?.index?.manifests ?? [];
    const entry: Descriptor = { ...describe(MEDIA.manifest, bytes), artifactType };
    await pushTagged(ctx, name, tag, [], imageIndex([...existing, entry]), MEDIA.index);
    const after = await ctx.client.getManifest(name, tag, MEDIA.index);
    if (!after) fail("the referrers tag pushed is not served", `${tag} served`, "404", ctx.exchanges().slice(-1));
    expectEntry(new TextDecoder().decode(after.bytes), `the referrers tag ${tag}`, { status: 200, headers: {}, body: "", codes: [], exchange: after.exchange });
    const art = await ctx.client.getManifest(name, pushed.digest);
    if (!art?.manifest || art.manifest.artifactType !== artifactType) fail("the artifact pulled by digest lost its artifactType", artifactType, art?.manifest?.artifactType ?? "none", art ? [art.exchange] : []);
  },
};

const mount: OciScenario = {
  id: "oci.mount",
  title: "Cross-repository blob mount",
  checklist: 1,
  description:
    "Pushes an image to one repository, then asks to mount its layer into another (POST /blobs/uploads/?mount=<digest>&from=<repo>): 201 with a Location means mounted, and the blob must then be in the second repository (HEAD 200); 202 means the registry declined and opened an upload instead (allowed by the spec), which must then take the blob. Anything else fails.",
  audience: "write",
  async run(ctx) {
    const from = ctx.name("mountsrc");
    const to = ctx.name("mountdst");
    const artifact = await publishNew(ctx, ctx.client, { name: from, version: "1.0" }, "pushing the image to mount from");
    const layer = `sha256:${artifact.content.digests.sha256}`;
    const q = new URLSearchParams({ mount: layer, from: ctx.client.repository(from) });
    const repo = ctx.client.repository(to);
    const mounted = await ctx.client.ask({ method: "POST", path: `${ctx.client.path(to, "blobs/uploads/")}?${q}`, headers: { "content-length": "0" } }, repo, ["pull", "push"]);
    mustAnswer(mounted, [201, 202], "mounting a blob from another repository");
    if (mounted.status === 201) {
      if (!mounted.headers.location) fail("a mount answered 201 without a Location", "a Location header", "none", [mounted.exchange]);
      const head = await ctx.client.ask({ method: "HEAD", path: ctx.client.path(to, `blobs/${layer}`) }, repo, ["pull"]);
      mustAnswer(head, [200], "the mounted blob in the repository it was mounted into");
      ctx.note("mounted (201)");
    } else {
      ctx.note(`the registry declined the mount and opened an upload (202, ${describeExchange(mounted.exchange)})`);
    }
    // The second repository gets the same image (its blobs now there), tagged, so cleanup finds it.
    const again = await ctx.build({ name: to, version: "1.0" });
    ctx.track(to, "1.0");
    mustAccept(await ctx.client.publish({ ...again, content: artifact.content, extra: artifact.extra }), "pushing the image into the repository mounted into");
  },
};

const blobRange: OciScenario = {
  id: "oci.blob-range",
  title: "Range requests on blobs",
  checklist: 4,
  description: "Pulls a slice of a layer with Range: bytes=a-b: the registry must answer 206 with Content-Range bytes a-b/size and exactly those bytes.",
  audience: "write",
  requires: ["blobRange"],
  async run(ctx) {
    const name = ctx.name("range");
    const artifact = await publishNew(ctx, ctx.client, { name, version: "1.0", files: { "data.bin": new Uint8Array(randomBytes(2048)) } }, "pushing an image");
    const bytes = artifact.content.bytes!;
    const from = 10;
    const to = Math.min(bytes.byteLength - 1, 299);
    const digest = `sha256:${artifact.content.digests.sha256}`;
    const res = await ctx.client.send({ method: "GET", path: ctx.client.path(name, `blobs/${digest}`), headers: { range: `bytes=${from}-${to}` } }, ctx.client.repository(name), ["pull"]);
    const body = await res.bytes();
    if (res.status !== 206) fail("a Range request on a blob", "status 206", `status ${res.status} (${body.byteLength} bytes)`, [res.exchange]);
    const contentRange = res.headers["content-range"];
    if (contentRange !== `bytes ${from}-${to}/${bytes.byteLength}`) fail("a Range request on a blob: Content-Range", `bytes ${from}-${to}/${bytes.byteLength}`, contentRange ?? "none", [res.exchange]);
    const wanted = bytes.subarray(from, to + 1);
    if (Buffer.compare(Buffer.from(body), Buffer.from(wanted)) !== 0) fail("a Range request on a blob: other bytes than the slice asked for", `${wanted.byteLength} bytes, ${sha256Digest(wanted)}`, `${body.byteLength} bytes, ${sha256Digest(body)}`, [res.exchange]);
  },
};

const tagsPagination: OciScenario = {
  id: "oci.tags-pagination",
  title: "tags/list pagination (n, last, Link)",
  checklist: 5,
  description:
    "Pushes five tags, then lists them two at a time: ?n=2 answers at most two tags, in lexical order, with a Link header (rel=\"next\") to the rest; following the links gives every tag once; ?n=2&last=<tag> answers the tags after it.",
  audience: "write",
  requires: ["listVersions"],
  async run(ctx) {
    const name = ctx.name("tags");
    const tags = ["t-a", "t-b", "t-c", "t-d", "t-e"];
    const image = tinyImage();
    for (const [i, tag] of tags.entries()) {
      if (i === 0) await pushManifest(ctx, name, tag, image.blobs, image.manifest, MEDIA.manifest);
      else mustAnswer(await ctx.client.putManifest(name, tag, jsonBytes(image.manifest), MEDIA.manifest), [201], `tagging ${tag}`);
      ctx.track(name, tag);
    }
    await ctx.deviates(TAGS_PAGINATION, async () => {
      const seen: string[] = [];
      let page = await ctx.client.tagsPage(name, { n: 2 });
      for (let i = 0; ; i++) {
        if (page.tags.length > 2) fail("tags/list?n=2 answered more than two tags", "at most 2 tags", `${page.tags.length} tags [${page.tags.join(", ")}]`, [page.answer.exchange]);
        seen.push(...page.tags);
        if (!page.next) break;
        if (i > tags.length) fail("tags/list keeps linking to more pages", `${Math.ceil(tags.length / 2)} pages`, `more than ${i} pages`, [page.answer.exchange]);
        page = await ctx.client.tagsPage(name, page.next);
      }
      if (seen.join(",") !== tags.join(",")) fail("following tags/list's Link pages does not give every tag once, in lexical order", tags.join(", "), seen.join(", "), ctx.exchanges().slice(-1));
      const after = await ctx.client.tagsPage(name, { n: 2, last: "t-b" });
      if (after.tags.join(",") !== "t-c,t-d") fail("tags/list?n=2&last=t-b does not answer the two tags after t-b", "t-c, t-d", after.tags.join(", "), [after.answer.exchange]);
    });
  },
};

const deletes: OciScenario = {
  id: "oci.delete",
  title: "Delete a manifest, a tag, a blob; then 404 with the spec's codes",
  checklist: 5,
  description:
    "Deletes a manifest by digest (202): it and its tag then answer 404 MANIFEST_UNKNOWN. Deletes a blob (202): it then answers 404 BLOB_UNKNOWN. Where the profile has tag deletes, deletes one of two tags of a manifest: that tag answers 404, the other still serves the manifest. A token kind the profile says may not delete (GitLab's deploy tokens) must be refused with 401/403, the manifest still served.",
  audience: "write",
  requires: ["delete"],
  async run(ctx) {
    const name = ctx.name("delete");
    const repo = ctx.client.repository(name);
    const { digest } = await publishImage(ctx, name, "doomed", "pushing the image to delete");
    const del = await ctx.client.ask({ method: "DELETE", path: ctx.client.path(name, `manifests/${digest}`) }, repo, ["delete"]);
    const kinds = ctx.target.profile.deleteKinds;
    if (kinds && !kinds.includes(ctx.credential.kind)) {
      // This kind may push but not delete here: the delete must be refused and the image stay.
      mustAnswer(del, ctx.target.profile.deniedStatus ?? [401, 403], `deleting a manifest with a ${ctx.credential.kind} token, which the ${ctx.target.profile.name} profile says may not delete`);
      if (!(await ctx.client.getManifest(name, digest))) fail(`a refused delete with a ${ctx.credential.kind} token removed the manifest`, "the manifest still served", "404", ctx.exchanges().slice(-1));
      ctx.note(`a ${ctx.credential.kind} token may not delete here: refused (${describeExchange(del.exchange)})`);
      return;
    }
    mustAnswer(del, [202], "deleting a manifest by digest");
    for (const reference of [digest, "doomed"]) {
      const gone = await ctx.client.ask({ method: "GET", path: ctx.client.path(name, `manifests/${reference}`), headers: { accept: CLIENT_ACCEPT } }, repo, ["pull"]);
      mustAnswer(gone, [404], `pulling the deleted manifest by ${reference === digest ? "digest" : "tag"}`, ["MANIFEST_UNKNOWN"]);
    }
    const blob = new Uint8Array(randomBytes(100));
    const described = await pushBlob(ctx, name, blob);
    const delBlob = await ctx.client.ask({ method: "DELETE", path: ctx.client.path(name, `blobs/${described.digest}`) }, repo, ["delete"]);
    mustAnswer(delBlob, [202], "deleting a blob");
    const goneBlob = await ctx.client.ask({ method: "GET", path: ctx.client.path(name, `blobs/${described.digest}`) }, repo, ["pull"]);
    mustAnswer(goneBlob, [404], "pulling the deleted blob", ["BLOB_UNKNOWN"]);
    const image = tinyImage();
    await pushTagged(ctx, name, "keep", image.blobs, image.manifest, MEDIA.manifest);
    mustAnswer(await ctx.client.putManifest(name, "drop", jsonBytes(image.manifest), MEDIA.manifest), [201], "tagging drop");
    ctx.track(name, "drop");
    const untag = await ctx.client.ask({ method: "DELETE", path: ctx.client.path(name, "manifests/drop") }, repo, ["delete"]);
    if (!ctx.target.capabilities.deleteTag) {
      ctx.note(`tag delete, which the ${ctx.target.profile.name} profile does not have: ${describeExchange(untag.exchange)} ${untag.codes.join(", ")}`);
      if (untag.status === 202) ctx.note("the registry deletes tags: set deleteTag=true");
      return;
    }
    mustAnswer(untag, [202], "deleting a tag");
    const dropped = await ctx.client.ask({ method: "GET", path: ctx.client.path(name, "manifests/drop"), headers: { accept: CLIENT_ACCEPT } }, repo, ["pull"]);
    mustAnswer(dropped, [404], "pulling the deleted tag", ["MANIFEST_UNKNOWN"]);
    if (!(await ctx.client.getManifest(name, "keep"))) fail("deleting one tag removed the other tag of the same manifest", "keep still served", "404", ctx.exchanges().slice(-1));
  },
};

const badDigest: OciScenario = {
  id: "oci.bad-digest",
  title: "Digests that do not match: DIGEST_INVALID",
  checklist: 1,
  description:
    "Pushes a manifest under a digest that is not its own, and closes a monolithic blob upload with a digest that is not the body's: each must be refused with 400 DIGEST_INVALID, and nothing may become pullable.",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("baddigest");
    const repo = ctx.client.repository(name);
    const image = tinyImage();
    for (const b of image.blobs) await pushBlob(ctx, name, b);
    const wrong = sha256Digest(randomBytes(8));
    const put = await ctx.client.putManifest(name, wrong, jsonBytes(image.manifest), MEDIA.manifest);
    mustAnswer(put, [400], "pushing a manifest under a digest that is not its own", ["DIGEST_INVALID"]);
    if (await ctx.client.getManifest(name, wrong)) fail("a manifest refused for its digest is served under it", "404", "status 200", ctx.exchanges().slice(-1));
    const body = new Uint8Array(randomBytes(200));
    const start = await ctx.client.ask({ method: "POST", path: ctx.client.path(name, "blobs/uploads/"), headers: { "content-length": "0" } }, repo, ["pull", "push"]);
    mustAnswer(start, [202], "starting an upload");
    const at = new URL(start.headers.location ?? "", new URL(ctx.target.registry).origin);
    at.searchParams.set("digest", wrong);
    const close = await ctx.client.ask({ method: "PUT", path: at.toString(), headers: { "content-type": "application/octet-stream", "content-length": String(body.byteLength) }, body }, repo, ["pull", "push"]);
    mustAnswer(close, [400], "closing an upload with a digest that is not the body's", ["DIGEST_INVALID"]);
    for (const digest of [wrong, sha256Digest(body)]) {
      const head = await ctx.client.ask({ method: "HEAD", path: ctx.client.path(name, `blobs/${digest}`) }, repo, ["pull"]);
      mustAnswer(head, [404], "the blob of a refused upload");
    }
    await pushTagged(ctx, name, "ok", [], image.manifest, MEDIA.manifest);
  },
};

const blobUnknown: OciScenario = {
  id: "oci.manifest-blob-unknown",
  title: "A manifest naming blobs that do not exist: MANIFEST_BLOB_UNKNOWN",
  checklist: 1,
  description: "Pushes a manifest whose layer was never uploaded: the registry must refuse it with 400 MANIFEST_BLOB_UNKNOWN, and the tag must not appear.",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("blobunknown");
    const image = tinyImage();
    // The config goes up; the layer does not.
    await pushBlob(ctx, name, image.blobs[0]!);
    const put = await ctx.client.putManifest(name, "broken", jsonBytes(image.manifest), MEDIA.manifest);
    mustAnswer(put, [400], "pushing a manifest whose layer was never uploaded", ["MANIFEST_BLOB_UNKNOWN"]);
    if (await ctx.client.getManifest(name, "broken")) fail("a manifest refused for a missing blob is served", "404", "status 200", ctx.exchanges().slice(-1));
    await pushTagged(ctx, name, "ok", image.blobs, image.manifest, MEDIA.manifest);
  },
};

const uploadCut: OciScenario = {
  id: "oci.upload-cut",
  title: "A blob upload cut off halfway: refused, never served",
  checklist: 1,
  description:
    "Sends half a blob in a PATCH, then closes the upload with the whole blob's digest: the registry must refuse with 400 and one of DIGEST_INVALID, BLOB_UPLOAD_INVALID or SIZE_INVALID, and the blob must not be served.",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("cut");
    const repo = ctx.client.repository(name);
    const bytes = new Uint8Array(randomBytes(4096));
    const half = bytes.subarray(0, 2048);
    const origin = new URL(ctx.target.registry).origin;
    const start = await ctx.client.ask({ method: "POST", path: ctx.client.path(name, "blobs/uploads/"), headers: { "content-length": "0" } }, repo, ["pull", "push"]);
    mustAnswer(start, [202], "starting an upload");
    const patched = await ctx.client.ask(
      { method: "PATCH", path: new URL(start.headers.location ?? "", origin).toString(), headers: { "content-type": "application/octet-stream", "content-length": String(half.byteLength), "content-range": `0-${half.byteLength - 1}` }, body: half },
      repo,
      ["pull", "push"],
    );
    mustAnswer(patched, [202], "uploading the first half");
    const digest = sha256Digest(bytes);
    const close = new URL(patched.headers.location ?? start.headers.location ?? "", origin);
    close.searchParams.set("digest", digest);
    const done = await ctx.client.ask({ method: "PUT", path: close.toString(), headers: { "content-length": "0" } }, repo, ["pull", "push"]);
    mustAnswer(done, [400], "closing an upload that holds half of the blob", ["DIGEST_INVALID", "BLOB_UPLOAD_INVALID", "SIZE_INVALID"]);
    const head = await ctx.client.ask({ method: "HEAD", path: ctx.client.path(name, `blobs/${digest}`) }, repo, ["pull"]);
    mustAnswer(head, [404], "the blob whose upload was cut off");
    const image = tinyImage();
    await pushTagged(ctx, name, "ok", image.blobs, image.manifest, MEDIA.manifest);
  },
};

const badManifest: OciScenario = {
  id: "oci.bad-manifest",
  title: "Manifests that are not manifests: MANIFEST_INVALID, unknown media types",
  checklist: 1,
  description:
    "Pushes a body that is not JSON as an image manifest, and a manifest of a media type no spec defines: each must be refused with a 4xx (400 MANIFEST_INVALID for the first; MANIFEST_INVALID or UNSUPPORTED, or 415, for the second), and neither tag may appear.",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("badmanifest");
    const image = tinyImage();
    for (const b of image.blobs) await pushBlob(ctx, name, b);
    const notJson = await ctx.client.putManifest(name, "notjson", new TextEncoder().encode("{this is not json"), MEDIA.manifest);
    mustAnswer(notJson, [400], "pushing a manifest that is not JSON", ["MANIFEST_INVALID"]);
    const unknownType = "application/vnd.regkit.unknown.manifest.v1+json";
    const odd = { ...image.manifest, mediaType: unknownType };
    const put = await ctx.client.putManifest(name, "unknowntype", jsonBytes(odd), unknownType);
    if (put.status !== 415) mustAnswer(put, [400, 415], "pushing a manifest of an unknown media type", ["MANIFEST_INVALID", "UNSUPPORTED"]);
    for (const tag of ["notjson", "unknowntype"]) {
      if (await ctx.client.getManifest(name, tag)) fail(`the refused manifest ${tag} is served`, "404", "status 200", ctx.exchanges().slice(-1));
    }
    await pushTagged(ctx, name, "ok", [], image.manifest, MEDIA.manifest);
  },
};

const tokenFlow: OciScenario = {
  id: "oci.token-flow",
  title: "The token flow: challenge, realm, scope",
  checklist: 7,
  description:
    "For registries with token auth: /v2/ without credentials answers 401 with WWW-Authenticate: Bearer realm=\"<absolute URL>\",service=\"...\"; an upload without a token answers 401 whose challenge names scope repository:<repo>:pull,push (or push); the realm, with the credential as Basic, issues a token (token or access_token) which, when a JWT, grants pull and push on exactly that repository; the token opens the upload; a token asked for pull only is refused a push. Skipped where the registry challenges with Basic.",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("token");
    const repo = ctx.client.repository(name);
    const grant = await ctx.client.grant(repo, ["pull", "push"]);
    if (grant.challenge.scheme !== "bearer") ctx.skip(`the registry does not use the token flow: /v2/ challenges with ${grant.challenge.scheme === "none" ? "nothing" : grant.challenge.scheme} (${describeExchange(grant.exchange)})`);
    const realm = grant.challenge.params.realm ?? "";
    if (!/^https?:\/\//.test(realm)) fail("the Bearer challenge's realm is not an absolute URL", "realm=\"https://...\"", `realm="${realm}"`, ctx.exchanges().slice(0, 1));
    if (!grant.challenge.params.service) fail("the Bearer challenge names no service", "service=\"...\"", JSON.stringify(grant.challenge.params), ctx.exchanges().slice(0, 1));
    if (!grant.token) fail("the realm issued no token for a write credential", "200 with a token", `status ${grant.exchange.status}`, [grant.exchange]);
    const access = tokenAccess(grant.token);
    if (access) {
      const entry = access.find((a) => a.type === "repository" && a.name === repo);
      const actions = entry?.actions ?? [];
      if (!actions.includes("pull") || !actions.includes("push")) fail("the token does not grant pull and push on the repository asked for", `access [{type: repository, name: ${repo}, actions: [pull, push]}]`, JSON.stringify(access), [grant.exchange]);
      if (access.some((a) => a.type === "repository" && a.name !== repo)) fail("the token grants access to other repositories than the one asked for", `access to ${repo} only`, JSON.stringify(access), [grant.exchange]);
    } else ctx.note("the token is not a JWT: its scope is checked by use only");
    const uploads = ctx.client.path(name, "blobs/uploads/");
    const bare = await ctx.client.ask({ method: "POST", path: uploads, headers: { "content-length": "0" }, noAuth: true }, undefined, []);
    mustAnswer(bare, [401], "starting an upload without a token");
    const challenge = bearerChallenge(bare.headers["www-authenticate"]);
    const scope = challenge?.params.scope ? parseScope(challenge.params.scope) : undefined;
    if (!scope || scope.name !== repo || !scope.actions.includes("push")) {
      fail("the challenge of an upload does not name the repository's push scope", `scope="repository:${repo}:pull,push"`, bare.headers["www-authenticate"] ?? "no WWW-Authenticate", [bare.exchange]);
    }
    const open = await ctx.client.ask({ method: "POST", path: uploads, headers: { "content-length": "0", authorization: `Bearer ${grant.token}` }, noAuth: true }, undefined, []);
    mustAnswer(open, [202], "starting an upload with the token the realm issued");
    const pullOnly = await ctx.client.grant(repo, ["pull"]);
    if (pullOnly.token) {
      const refused = await ctx.client.ask({ method: "POST", path: uploads, headers: { "content-length": "0", authorization: `Bearer ${pullOnly.token}` }, noAuth: true }, undefined, []);
      mustAnswer(refused, [401, 403], "starting an upload with a pull-only token");
      if (refused.status === 401 && !/insufficient_scope/.test(refused.headers["www-authenticate"] ?? "")) ctx.note(`the refusal of a pull-only token does not say error="insufficient_scope" (${refused.headers["www-authenticate"] ?? "no challenge"})`);
    }
    const image = tinyImage();
    await pushTagged(ctx, name, "ok", image.blobs, image.manifest, MEDIA.manifest);
  },
};

const manifestProperties: OciScenario = {
  id: "oci.manifest-properties",
  title: "Property: generated manifests, artifacts and indexes round-trip",
  checklist: 4,
  description:
    "Property (fast-check): generated image manifests (one to three layers, annotations, some artifacts with artifactType and the empty config) and indexes over them, pushed by digest and under a generated tag, pull back byte for byte by tag and by digest with their media type.",
  audience: "write",
  async run(ctx) {
    let n = 0;
    const tag = ctx.kit.arbitraries.version();
    await property(ctx, fc.tuple(fc.oneof(manifestArbitrary().map((image) => ({ images: [image], index: undefined })), indexArbitrary()), tag), async ([generated, tagName]) => {
      const name = ctx.name(`prop${n++}`);
      for (const image of generated.images) {
        const bytes = jsonBytes(image.manifest);
        await pushManifest(ctx, name, sha256Digest(bytes), image.blobs, image.manifest, MEDIA.manifest);
      }
      const top = generated.index ?? generated.images[0]!.manifest;
      const mediaType = generated.index ? MEDIA.index : MEDIA.manifest;
      const pushed = await pushTagged(ctx, name, tagName, [], top, mediaType);
      for (const reference of [tagName, pushed.digest]) {
        const got = await ctx.client.getManifest(name, reference, mediaType);
        if (!got) fail(`a generated manifest pushed as ${tagName} is not served by ${reference}`, "status 200", "404", ctx.exchanges().slice(-1));
        if (got.digest !== pushed.digest) fail(`a generated manifest pulled by ${reference} has other bytes`, pushed.digest, got.digest, [got.exchange]);
        if (got.contentType.split(";")[0] !== mediaType) fail(`a generated manifest pulled by ${reference} comes with another Content-Type`, mediaType, got.contentType, [got.exchange]);
      }
    });
  },
};

/** Scenarios only OCI has; the catalog lives in core. */
export const ociScenarios: readonly OciScenario[] = [
  chunkedUpload,
  manifestByDigest,
  accept,
  imageIndexScenario,
  referrers,
  mount,
  blobRange,
  tagsPagination,
  deletes,
  badDigest,
  blobUnknown,
  uploadCut,
  badManifest,
  tokenFlow,
  manifestProperties,
];

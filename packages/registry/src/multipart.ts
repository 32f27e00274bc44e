/**
 * One multipart/form-data reader for the formats that upload that way (PyPI's
 * legacy upload, NuGet's push, Helm, Conan...): form fields kept, one file
 * field streamed into the store as it arrives, never held in memory.
 *
 * @module
 */
import { PassThrough } from "node:stream";
import busboy from "busboy";
import { ReferenceHttpError, type ReferenceRequest, type StagedFile } from "./contract.js";

/** What {@link stageMultipart} read. */
export interface MultipartUpload {
  /** Text fields by name (the last value of a repeated field). */
  readonly fields: Readonly<Record<string, string>>;
  /** The staged file field, when the body had one; commit or discard it. */
  readonly file?: { readonly filename: string; readonly staged: StagedFile & { readonly id: string } } | undefined;
  /** The file's first `headBytes` bytes (to read a nuspec or a manifest before the rest). */
  readonly head: Uint8Array;
}

/** How {@link stageMultipart} reads a body. */
export interface MultipartOptions {
  /** The file field to stage (`content`, `package`); other file fields are drained. */
  readonly field: string;
  /** Bytes of the file to keep in `head` (default 0). */
  readonly headBytes?: number | undefined;
  /** The 400 message when the body is not multipart/form-data. */
  readonly notMultipart: string;
  /** Prefix of the 400 message for a malformed body (the parser's reason follows). */
  readonly malformed: string;
  /** Most text fields taken (default 100), each at most `fieldSize` bytes (default 1 MiB). */
  readonly fields?: number | undefined;
  readonly fieldSize?: number | undefined;
}

/**
 * Reads a multipart body: text fields, and the file field `field` staged in
 * the request's store under the format's size limit (a ReferenceError413
 * past it, nothing kept). A 400 for a body that is not multipart or breaks off.
 */
export function stageMultipart(req: ReferenceRequest, options: MultipartOptions): Promise<MultipartUpload> {
  const headBytes = options.headBytes ?? 0;
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    const head: Buffer[] = [];
    let headSize = 0;
    let file: MultipartUpload["file"];
    let staging: Promise<void> | undefined;
    let failure: unknown;
    let parser: busboy.Busboy;
    // A body the client gave up on before the route got to it sends neither data
    // nor an end to a parser piped from it now: answer instead of waiting for ever.
    if (req.body.destroyed) {
      reject(req.body.errored ?? new ReferenceHttpError(400, `${options.malformed}: the request body ended early`));
      return;
    }
    try {
      parser = busboy({
        headers: { "content-type": req.headers["content-type"] ?? "" },
        limits: { fields: options.fields ?? 100, fieldSize: options.fieldSize ?? 1024 * 1024 },
        // The name as sent, so a path in it is refused below rather than quietly cut off.
        preservePath: true,
      });
    } catch {
      reject(new ReferenceHttpError(400, options.notMultipart));
      return;
    }
    parser.on("field", (name, value) => {
      fields[name] = value;
    });
    parser.on("file", (name, stream, info) => {
      if (name !== options.field || staging) {
        stream.resume();
        return;
      }
      const filename = info.filename ?? "";
      if (!isPlainFileName(filename)) {
        failure ??= new ReferenceHttpError(400, `${options.malformed}: the file name must be a plain name (no path, no control characters)`);
        stream.resume();
        return;
      }
      if (headBytes > 0) {
        stream.on("data", (chunk: Buffer) => {
          if (headSize >= headBytes) return;
          head.push(chunk.subarray(0, headBytes - headSize));
          headSize += Math.min(chunk.length, headBytes - headSize);
        });
      }
      const pass = new PassThrough();
      // A form cut off inside the file: the staging stream fails too, so the store drops what it staged.
      stream.on("error", (error: Error) => pass.destroy(error));
      stream.pipe(pass);
      staging = req.store.stage(pass, req.limits.maxFileSize).then(
        (staged) => {
          file = { filename, staged };
        },
        (error: unknown) => {
          failure = error;
          stream.unpipe(pass);
          stream.resume();
        },
      );
    });
    // One way out, whichever of error and close comes first: wait for the staging to
    // settle (a cut file stream fails it, and the store drops its blob), then answer.
    let parseError: Error | undefined;
    let finished = false;
    const finish = async (): Promise<void> => {
      if (finished) return;
      finished = true;
      await staging;
      if (parseError) {
        if (file) await req.store.discard(file.staged).catch(() => {});
        reject(new ReferenceHttpError(400, `${options.malformed}: ${parseError.message}`));
      } else if (failure) reject(failure);
      else resolve({ fields, file, head: Buffer.concat(head) });
    };
    parser.on("error", (error: Error) => {
      parseError = error;
      void finish();
    });
    parser.on("close", () => void finish());
    // A client that hangs up mid-upload: the parser fails (and with it the staging) instead of waiting for ever.
    req.body.on("error", (error) => parser.destroy(error));
    req.body.pipe(parser);
  });
}

/**
 * A file name that names one file and nothing else: formats list it in URLs
 * and metadata, so `dir/x`, `..\x`, `.`, `..` and control characters (NUL,
 * newlines) are refused. An empty name is left to the format (no file name).
 */
function isPlainFileName(name: string): boolean {
  if (name === "") return true;
  return !/[/\\\u0000-\u001f\u007f]/.test(name) && name !== "." && name !== "..";
}

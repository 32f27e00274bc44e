/**
 * A streaming scanner for npm publish documents. It keeps the JSON except the
 * base64 `data` of `_attachments.<file>`, which it decodes as it arrives and
 * hands to a sink, so a 500 MB tarball never sits in memory as a string.
 */

/** Receives one attachment's decoded bytes. */
export interface AttachmentSink {
  write(bytes: Buffer): Promise<void>;
  end(): Promise<void>;
}

/** Thrown for a body that is not a JSON document the scanner can follow. */
export class ScanError extends Error {}

interface Frame {
  readonly kind: "object" | "array";
  key: string | undefined;
  awaitingKey: boolean;
}

/**
 * How deep objects and arrays may nest: Ruby's JSON parser (GitLab's) refuses
 * deeper documents by default (`max_nesting` 100), and the stored manifest is
 * copied and frozen recursively, which a document nested a million levels deep
 * (16 MiB of brackets) would overflow the stack with.
 */
export const MAX_NESTING = 100;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Bytes that `text.slice(0, whole)` decodes to when it is clean base64. */
function decodedLength(text: string, whole: number): number {
  let padding = 0;
  if (whole > 0 && text.charCodeAt(whole - 1) === 0x3d) padding = whole > 1 && text.charCodeAt(whole - 2) === 0x3d ? 2 : 1;
  return (whole / 4) * 3 - padding;
}

/** Incremental base64 decoding across chunk boundaries. */
export class Base64Decoder {
  private carry = "";
  decode(text: string): Buffer {
    // Fast path for clean base64 (what clients send): decode as is. Node's
    // decoder skips characters outside the alphabet, so a shorter result than
    // the length promises means there were some: strip them and decode again.
    const raw = this.carry + text;
    const rawWhole = raw.length - (raw.length % 4);
    const fast = Buffer.from(raw.slice(0, rawWhole), "base64");
    if (fast.byteLength === decodedLength(raw, rawWhole)) {
      this.carry = raw.slice(rawWhole);
      return fast;
    }
    const all = raw.replace(/[^A-Za-z0-9+/=_-]/g, "");
    const whole = all.length - (all.length % 4);
    this.carry = all.slice(whole);
    return Buffer.from(all.slice(0, whole), "base64");
  }
  end(): Buffer {
    const rest = this.carry;
    this.carry = "";
    return rest ? Buffer.from(rest, "base64") : Buffer.alloc(0);
  }
}

/**
 * Scans `source`; for each `_attachments.<file>.data` string calls `open(file)`
 * and streams the decoded bytes into the sink. Resolves with the document,
 * where those strings are empty. `maxSkeleton` bounds the rest of the JSON.
 */
export async function scanPublishDocument(
  source: AsyncIterable<Buffer | Uint8Array>,
  open: (file: string) => AttachmentSink,
  maxSkeleton = 16 * 1024 * 1024,
): Promise<unknown> {
  const skeleton: Buffer[] = [];
  let skeletonSize = 0;
  const keep = (part: Buffer): void => {
    skeletonSize += part.byteLength;
    if (skeletonSize > maxSkeleton) throw new ScanError(`the publish document (without attachments) is larger than ${maxSkeleton} bytes`);
    skeleton.push(part);
  };
  const stack: Frame[] = [];
  let inString = false;
  let isKey = false;
  let escaped = false;
  let keyBytes: Buffer[] = [];
  let data: { sink: AttachmentSink; decoder: Base64Decoder; escaped: boolean } | undefined;

  for await (const raw of source) {
    const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let i = 0;
    let segment = 0;
    while (i < buf.length) {
      if (data) {
        // Attachment data: base64 has no quotes or backslashes, so jump to the next one.
        if (data.escaped) {
          data.escaped = false;
          if (buf[i] === 0x2f) {
            const bytes = data.decoder.decode("/");
            if (bytes.byteLength) await data.sink.write(bytes);
          }
          i++;
          segment = i;
          continue;
        }
        // Native searches: this loop sees every byte of a 500 MB tarball.
        const quote = buf.indexOf(QUOTE, i);
        const backslash = buf.indexOf(BACKSLASH, i);
        let end = quote < 0 ? buf.length : quote;
        if (backslash >= 0 && backslash < end) end = backslash;
        if (end > i) {
          const text = buf.toString("latin1", i, end);
          const bytes = data.decoder.decode(text);
          if (bytes.byteLength) await data.sink.write(bytes);
        }
        if (end >= buf.length) {
          i = end;
          segment = end;
          continue;
        }
        if (buf[end] === BACKSLASH) {
          data.escaped = true;
          i = end + 1;
          continue;
        }
        const rest = data.decoder.end();
        if (rest.byteLength) await data.sink.write(rest);
        await data.sink.end();
        data = undefined;
        segment = end;
        i = end + 1;
        continue;
      }
      if (inString) {
        let end = i;
        while (end < buf.length) {
          const c = buf[end]!;
          if (escaped) escaped = false;
          else if (c === BACKSLASH) escaped = true;
          else if (c === QUOTE) break;
          end++;
        }
        if (isKey) keyBytes.push(buf.subarray(i, end));
        if (end >= buf.length) {
          i = end;
          continue;
        }
        inString = false;
        if (isKey) {
          const top = stack.at(-1)!;
          try {
            top.key = JSON.parse(`"${Buffer.concat(keyBytes).toString("utf8")}"`) as string;
          } catch {
            throw new ScanError("a key of the publish document is not a valid JSON string");
          }
          keyBytes = [];
        }
        i = end + 1;
        continue;
      }
      const c = buf[i]!;
      const top = stack.at(-1);
      switch (c) {
        case 0x7b: // {
        case 0x5b: // [
          if (stack.length === MAX_NESTING) throw new ScanError(`the publish document nests deeper than ${MAX_NESTING} levels`);
          stack.push(c === 0x7b ? { kind: "object", key: undefined, awaitingKey: true } : { kind: "array", key: undefined, awaitingKey: false });
          break;
        case 0x7d: // }
        case 0x5d: // ]
          if (!stack.pop()) throw new ScanError("unbalanced brackets in the publish document");
          break;
        case 0x2c: // ,
          if (top?.kind === "object") top.awaitingKey = true;
          break;
        case 0x3a: // :
          if (top?.kind === "object") top.awaitingKey = false;
          break;
        case QUOTE: {
          isKey = top?.kind === "object" && top.awaitingKey;
          const attachment =
            !isKey &&
            stack.length === 3 &&
            stack.every((f) => f.kind === "object") &&
            stack[0]!.key === "_attachments" &&
            stack[2]!.key === "data";
          if (attachment) {
            keep(buf.subarray(segment, i + 1));
            data = { sink: open(stack[1]!.key!), decoder: new Base64Decoder(), escaped: false };
            i++;
            continue;
          }
          inString = true;
          escaped = false;
          keyBytes = [];
          break;
        }
        default:
          break;
      }
      i++;
    }
    if (!data && segment < buf.length) keep(buf.subarray(segment));
  }
  if (data || inString || stack.length > 0) throw new ScanError("the publish document ended early (truncated body?)");
  try {
    return JSON.parse(Buffer.concat(skeleton).toString("utf8"));
  } catch (error) {
    throw new ScanError(`the publish document is not valid JSON (${(error as Error).message})`);
  }
}

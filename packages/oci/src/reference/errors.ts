/**
 * The OCI distribution spec's error answers (`{"errors": [{code, message,
 * detail}]}`, spec section "Error Codes"), thrown by the routes and turned
 * into replies in one place.
 */
import type { ReferenceReply } from "@regkit/registry/contract";

/** The spec's codes (v1.1), plus what the token realm answers (GitLab's JwtController). */
export type OciErrorCode =
  | "BLOB_UNKNOWN"
  | "BLOB_UPLOAD_INVALID"
  | "BLOB_UPLOAD_UNKNOWN"
  | "DIGEST_INVALID"
  | "MANIFEST_BLOB_UNKNOWN"
  | "MANIFEST_INVALID"
  | "MANIFEST_UNKNOWN"
  | "NAME_INVALID"
  | "NAME_UNKNOWN"
  | "SIZE_INVALID"
  | "UNAUTHORIZED"
  | "DENIED"
  | "UNSUPPORTED";

/** Every reply of the distribution API carries this (distribution's and GitLab's registry do). */
export const API_VERSION_HEADER = { "docker-distribution-api-version": "registry/2.0" } as const;

export class OciError extends Error {
  readonly status: number;
  readonly code: OciErrorCode;
  readonly detail: unknown;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, code: OciErrorCode, message: string, options: { detail?: unknown; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = "OciError";
    this.status = status;
    this.code = code;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }

  reply(): ReferenceReply {
    return errorReply(this.status, this.code, this.message, this.detail, this.headers);
  }
}

export function errorReply(status: number, code: OciErrorCode, message: string, detail?: unknown, headers: Record<string, string> = {}): ReferenceReply {
  return {
    status,
    headers: { ...API_VERSION_HEADER, "content-type": "application/json; charset=utf-8", ...headers },
    body: { errors: [detail === undefined ? { code, message } : { code, message, detail }] },
  };
}

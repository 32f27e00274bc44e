export declare const NGINX: string;
export declare const DAV_EXT: string;
export declare function nginxUnavailable(): string | undefined;
export declare function davExtUnavailable(): string | undefined;

/** A running nginx WebDAV location. */
export interface NginxRepository {
  /** `http://127.0.0.1:PORT/<location>` */
  readonly url: string;
  /** The user allowed to write. */
  readonly writer: { readonly username: string; readonly token: string };
  /** The directory nginx serves for the location. */
  readonly root: string;
  close(): Promise<void>;
}

export interface NginxDavOptions {
  /** The location's path segment (`maven`, `generic`). */
  readonly location: string;
  /** `dav_methods` (`PUT`, `DELETE`, `MKCOL`, ...). */
  readonly davMethods: readonly string[];
  /** `dav_ext_methods` (`PROPFIND`, `OPTIONS`), where the dav_ext module is installed. */
  readonly davExtMethods?: readonly string[] | undefined;
  /** Methods anyone may use (`limit_except`); every other method needs the writer's Basic credentials. */
  readonly openMethods: readonly string[];
  /** MIME types by extension (`{ "application/xml": ["xml", "pom"] }`). */
  readonly types?: Readonly<Record<string, readonly string[]>> | undefined;
}

export declare function startNginxDav(options: NginxDavOptions): Promise<NginxRepository>;

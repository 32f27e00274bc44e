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

export interface NginxOptions {
  /** `location` blocks of the server; `${dir}/htpasswd` holds the writer, `${dir}/www` is the root. */
  locations(dir: string): string;
  /** Runs once the root exists, before nginx starts (files to serve). */
  prepare?: ((dir: string) => Promise<unknown>) | undefined;
  /** MIME types by extension. */
  readonly types?: Readonly<Record<string, readonly string[]>> | undefined;
  /** The temporary directory's prefix. */
  readonly prefix?: string | undefined;
  /** The writer's username (default `deployer`). */
  readonly username?: string | undefined;
  /** Appended to the origin in `url`. */
  readonly path?: string | undefined;
  /** Load the dav_ext module where it is installed. */
  readonly davExt?: boolean | undefined;
}

/** A running nginx. */
export interface RunningNginx {
  readonly url: string;
  readonly writer: { readonly username: string; readonly token: string };
  /** Its temporary directory (`www` under it is the root). */
  readonly dir: string;
  close(): Promise<void>;
}

export declare function startNginx(options: NginxOptions): Promise<RunningNginx>;

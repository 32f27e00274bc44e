export declare const HTTPD: string;
export declare const HTTPD_MODULES: string;
export declare function httpdUnavailable(): string | undefined;
export declare function httpdVersion(): string | undefined;

/** A running Apache httpd WebDAV location. */
export interface HttpdRepository {
  /** `http://127.0.0.1:PORT/<location>` */
  readonly url: string;
  /** The user allowed to write (Basic). */
  readonly writer: { readonly username: string; readonly token: string };
  /** The directory httpd serves for the location. */
  readonly root: string;
  /** `Apache/2.4.x (Debian)`, when httpd says. */
  readonly version: string | undefined;
  close(): Promise<void>;
}

export interface HttpdDavOptions {
  /** The location's path segment (`maven`). */
  readonly location: string;
  /** Create the parent directories of an authorised PUT (as nginx's create_full_put_path); absent, plain mod_dav answers 409. */
  readonly createParents?: boolean | undefined;
  /** MIME types by extension (`{ "application/xml": ["xml", "pom"] }`). */
  readonly types?: Readonly<Record<string, readonly string[]>> | undefined;
}

export declare function startHttpdDav(options: HttpdDavOptions): Promise<HttpdRepository>;

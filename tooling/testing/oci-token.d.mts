export interface TokenServer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly certFile: string;
  /** Each token request: its path and query, and the user it authenticated as (`(anonymous)`, `(refused)`). */
  readonly requests: { path: string; user: string }[];
  close(): Promise<void>;
}
export declare function startTokenServer(options: {
  users: Record<string, { password: string; actions: string[]; catalog?: boolean }>;
  service?: string;
  issuer?: string;
  ttlSeconds?: number;
}): Promise<TokenServer>;

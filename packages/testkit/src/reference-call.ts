import type { ReferenceRegistry } from "@regkit/registry";

/** One answer of the reference registry, its body read as text. */
export interface ReferenceAnswer {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
}

/** A request's method, body and headers (default: the personal token), and the registry it goes to. */
export interface ReferenceCallInit {
  readonly method?: string | undefined;
  readonly body?: string | undefined;
  readonly headers?: Record<string, string> | undefined;
  readonly on?: ReferenceRegistry | undefined;
}

/**
 * Raw requests against one format's endpoint of a reference registry, for
 * tests that pin GitLab's exact answers: a relative `path` goes under
 * `registries[format]` of `init.on` (default: `registry()`, read at call time
 * so a registry started in `beforeAll` is found), an absolute URL as it is;
 * the personal token unless `init.headers` are given.
 */
export function referenceCaller(format: string, registry: () => ReferenceRegistry): (path: string, init?: ReferenceCallInit) => Promise<ReferenceAnswer> {
  return async (path, init = {}) => {
    const on = init.on ?? registry();
    const url = /^https?:/.test(path) ? path : `${on.registries[format]}${path}`;
    const res = await fetch(url, { method: init.method ?? "GET", body: init.body, headers: init.headers ?? { "private-token": on.tokens.personal } });
    return { status: res.status, text: await res.text(), headers: res.headers };
  };
}

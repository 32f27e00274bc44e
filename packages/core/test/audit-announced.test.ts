// endpoints.audit's route table for a run: the kit's routes, plus those the
// kit reads as announced by the registry in the run's exchanges (OCI's token
// realm), and nothing more.
import { describe, expect, test } from "vitest";
import { matchRoute, standardRoutes, type Exchange, type RouteTemplate } from "@regkit/core";

const routes: readonly RouteTemplate[] = [{ method: "GET", path: "/v2/", summary: "version check" }];
const exchange = (path: string, headers: Record<string, string> = {}): Exchange => ({
  method: "GET",
  url: `http://registry.test${path}`,
  path,
  status: 200,
  durationMs: 1,
  requestHeaders: {},
  responseHeaders: headers,
  via: "adapter",
});

describe("standardRoutes", () => {
  test("without announcedRoutes the kit's routes are the table", () => {
    expect(standardRoutes({ routes }, [exchange("/v2/")])).toBe(routes);
  });

  test("announced routes join the table for the run that announced them, and only those", () => {
    // A kit that reads one header: the address the registry said to use.
    const announcedRoutes = (exchanges: readonly Exchange[]): RouteTemplate[] =>
      exchanges.flatMap((e) => (e.responseHeaders["x-announced"] ? [{ method: "GET", path: e.responseHeaders["x-announced"], summary: "announced" }] : []));
    const run = [exchange("/v2/", { "x-announced": "/auth/token" }), exchange("/auth/token?scope=x")];
    const table = standardRoutes({ routes, announcedRoutes }, run);
    expect(matchRoute(table, "GET", "/auth/token?scope=x")?.summary).toBe("announced");
    expect(matchRoute(table, "GET", "/v2/")?.summary).toBe("version check");
    expect(matchRoute(table, "GET", "/auth/other")).toBeUndefined();
    // Another run, no announcement: the same request is outside the table.
    expect(matchRoute(standardRoutes({ routes, announcedRoutes }, [exchange("/auth/token")]), "GET", "/auth/token")).toBeUndefined();
  });
});

import { defineKit, factList, type RouteTemplate } from "@regkit/core";
import { nugetArbitraries } from "./arbitraries.js";
import { connectNuGet } from "./client.js";
import { nugetExe } from "./drivers.js";
import { nugetGitLabFacts } from "./gitlab.js";
import { buildNupkg } from "./package.js";
import { nugetProfiles } from "./profiles.js";
import { nugetScenarios } from "./scenarios.js";
import { compareNuGetVersions } from "./version.js";

/**
 * NuGet v3 as GitLab lays it out under the feed prefix (the target URL is the
 * feed; its service index is `<prefix>/index.json`). Resource URLs come from
 * the index.
 */
export const nugetRoutes: readonly RouteTemplate[] = [
  { method: "GET", path: "/index.json", summary: "service index" },
  { method: "GET", path: "/index", summary: "service index (GitLab also serves it without .json)" },
  { method: "PUT", path: "/", summary: "push (PackagePublish/2.0.0, multipart field package)" },
  { method: "PUT", path: "/v2", summary: "push (v2 clients)" },
  { method: "PUT", path: "/symbolpackage", summary: "symbol push (SymbolPackagePublish/4.9.0, .snupkg)" },
  { method: "DELETE", path: "/:id/:version", summary: "delete" },
  { method: "GET", path: "/download/:id/index.json", summary: "flat container versions (PackageBaseAddress/3.0.0)" },
  { method: "GET", path: "/download/:id/:version/:file", summary: ".nupkg / .nuspec" },
  { method: "GET", path: "/metadata/:id/index.json", summary: "registration index (RegistrationsBaseUrl)" },
  { method: "GET", path: "/metadata/:id/:leaf", summary: "registration leaf" },
  { method: "GET", path: "/query", summary: "search (SearchQueryService)" },
];

/** The NuGet kit. */
export const nugetKit = defineKit({
  format: "nuget",
  title: "NuGet",
  description: "NuGet v3 feeds: service index discovery, push, flat container, registration, search, delete; ids case-insensitive, versions normalized.",
  profiles: nugetProfiles,
  defaultProfile: "gitlab",
  instanceLimit: nugetGitLabFacts.maxFileSize.value,
  routes: nugetRoutes,
  arbitraries: nugetArbitraries,
  // Mixed case on purpose: ids are case-insensitive and the kit checks it.
  packageName: (runId, base) => `Regkit.R${runId}.${base.replace(/[^A-Za-z0-9.]+/g, ".")}`,
  ownsName: (runId, name) => name.toLowerCase().startsWith(`regkit.r${runId}.`),
  build: buildNupkg,
  compareVersions: compareNuGetVersions,
  connect: connectNuGet,
  drivers: [nugetExe],
  scenarios: nugetScenarios,
  gitlabFacts: factList(nugetGitLabFacts),
});

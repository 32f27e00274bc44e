import { citeSource, defineProfile, gitlabBasicAuth, gitlabBasicUser, gitlabVisibility, type Credential, type Profile } from "@regkit/core";
import { nugetGitLabFacts as facts } from "./gitlab.js";

/**
 * A NuGet profile: core's capabilities only (NuGet has no optional feature of
 * its own), plus how it presents credentials: Basic (NuGet.Config's
 * packageSourceCredentials) and the push API key.
 */
export interface NuGetProfile extends Profile<never> {
  /** The Basic username for a credential; undefined where the profile sends no Basic auth. */
  basicUser(credential: Credential): string | undefined;
  /** Whether every request carries the credential as X-NuGet-ApiKey instead of Basic. */
  readonly apiKey: boolean;
}

/** Deviations are GitLab's departures from NuGet's own rules; each names the fact it rests on. */
const deviation = (fact: { readonly source: Parameters<typeof citeSource>[0] }, summary: string) => ({ summary, source: citeSource(fact.source) });

/**
 * GitLab's NuGet registry (`/api/v4/projects/:id/packages/nuget`, service
 * index `<prefix>/index.json`). Everything here comes from the facts in
 * `gitlab.ts`: Basic auth with checked usernames (the personal token travels
 * with its owner's username, REGKIT_PERSONAL_USERNAME), X-NuGet-ApiKey on
 * push and delete, duplicates allowed by default (409 when the group refuses
 * them), 500 MiB, search, delete (Maintainers and write deploy tokens).
 */
export const gitlab: NuGetProfile = {
  ...defineProfile({
    name: "gitlab",
    description:
      "GitLab Package Registry, NuGet v3 feed of a project (also the embedded reference registry); the personal token needs REGKIT_PERSONAL_USERNAME, its owner",
    tokenKinds: ["personal", "deploy", "job", "readonly", "anonymous", "invalid"],
    // A bad Basic password is a 401 on GitLab's NuGet routes, public projects included: no invalidTokenRead.
    capabilities: { search: true, listVersions: true, delete: true, distTags: false, anonymousRead: false },
    policies: { duplicates: facts.duplicatesAllowed.value ? "allow" : "reject", duplicateStatus: [facts.duplicateRefused.value.status] },
    limits: { maxFileSize: facts.maxFileSize.value },
    personalUsername: "required",
    // Cleanup's fallback where the protocol cannot delete (`--set delete=false`, GitLab before 16.5).
    packagesApi: { type: "nuget", name: (name) => name, same: (listed, name) => listed.toLowerCase() === name.toLowerCase() },
    // GitLab's Basic usernames, checked here (nuget.basicUsernames): the personal token's owner, the deploy token's own, gitlab-ci-token for a job.
    authHeaders: gitlabBasicAuth,
    deviations: {
      "nuget.flat-container-versions": deviation(
        facts.flatContainerVersions,
        "the flat container lists versions as the .nuspec wrote them (not normalized, not lowercased), in plain string order",
      ),
      "nuget.leading-zeros": deviation(facts.versionRule, "versions with leading zeros in the first three parts (1.05.0) are refused with 400"),
      "nuget.flat-nuspec": deviation(facts.noFlatNuspec, "the flat container serves no .nuspec (404): only .nupkg and .snupkg"),
    },
    settings: {
      // GitLab's NuGet routes answer 401 to any credential they cannot resolve, public project or not (nuget.invalidCredentials).
      visibility: gitlabVisibility({ invalidBasicReadsAsAnonymous: false }),
    },
  }),
  basicUser: gitlabBasicUser,
  apiKey: false,
};

/** Any NuGet v3 feed: X-NuGet-ApiKey, anonymous reads, duplicates refused with 409. */
export const nugetV3: NuGetProfile = {
  ...defineProfile({
    name: "nuget-v3",
    description: "A NuGet v3 feed (service index URL), API key on push, anonymous reads",
    tokenKinds: ["personal", "anonymous", "invalid"],
    capabilities: { search: true, listVersions: true, delete: true, distTags: false, anonymousRead: true },
    policies: { duplicates: "reject", duplicateStatus: [409] },
    limits: { maxFileSize: 0 },
    authHeaders: (c): Record<string, string> => (c.token ? { "x-nuget-apikey": c.token } : {}),
  }),
  basicUser: () => undefined,
  apiKey: true,
};

export const nugetProfiles: Readonly<Record<string, NuGetProfile>> = { gitlab, "nuget-v3": nugetV3 };

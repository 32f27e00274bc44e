import { defineProfile, type Credential, type Profile } from "@regkit/core";

const MB = 1024 * 1024;

const gitlabUser = (c: Credential): string => (c.kind === "job" ? "gitlab-ci-token" : c.kind === "deploy" || c.kind === "readonly" ? (c.username ?? "") : "regkit");

/** Basic username per credential (what NuGet.Config's packageSourceCredentials carry). */
export interface NuGetProfile extends Profile {
  basicUser(credential: Credential): string;
  /** Whether pushes carry the credential as X-NuGet-ApiKey instead of Basic. */
  readonly apiKey: boolean;
}

/**
 * GitLab's NuGet registry (`/api/v4/projects/:id/packages/nuget`, service index
 * `<prefix>/index.json`): Basic auth with the three token kinds (any username
 * with a personal token, the deploy-token username, `gitlab-ci-token` with a
 * job token); duplicates allowed by default (a group setting can refuse them
 * with 400); version lists capped at 300; 500 MB limit; search; delete.
 */
export const gitlab: NuGetProfile = {
  ...defineProfile({
    name: "gitlab",
    description: "GitLab Package Registry, NuGet v3 feed of a project (also the embedded reference registry)",
    tokenKinds: ["personal", "deploy", "job", "readonly", "anonymous", "invalid"],
    capabilities: { search: true, listVersions: true, delete: true, distTags: false, anonymousRead: false },
    policies: { duplicates: "allow", duplicateStatus: [400, 409] },
    limits: { maxFileSize: 500 * MB },
    authHeaders: (c): Record<string, string> => (c.token ? { authorization: `Basic ${Buffer.from(`${gitlabUser(c)}:${c.token}`).toString("base64")}` } : {}),
  }),
  basicUser: gitlabUser,
  apiKey: false,
};

/** Any NuGet v3 feed: pushes with X-NuGet-ApiKey, anonymous reads, duplicates refused with 409. */
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
  basicUser: () => "regkit",
  apiKey: true,
};

export const nugetProfiles: Readonly<Record<string, NuGetProfile>> = { gitlab, "nuget-v3": nugetV3 };

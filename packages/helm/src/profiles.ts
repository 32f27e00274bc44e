import { defineProfile, gitlabApiHeaders, type Profile } from "@regkit/core";

/** The kit's profile type: add own capability keys as Profile<"key" | ...>. */
export type HelmProfile = Profile<never>;

/** GitLab: every token kind, credentials in GitLab's headers (replace with the format's own rules, cited in ./gitlab.ts). */
const gitlab: HelmProfile = defineProfile({
  name: "gitlab",
  description: "GitLab's Helm registry",
  tokenKinds: ["personal", "deploy", "job", "readonly", "anonymous", "invalid"],
  capabilities: { delete: false },
  policies: { duplicates: "reject", duplicateStatus: [] },
  limits: { maxFileSize: 0 },
  authHeaders: (credential) => gitlabApiHeaders(credential),
});

export const helmProfiles: Readonly<Record<string, HelmProfile>> = { gitlab };

import { defineProfile, gitlabApiHeaders, type Profile } from "@regkit/core";

/** The kit's profile type: add own capability keys as Profile<"key" | ...>. */
export type TerraformProfile = Profile<never>;

/** GitLab: every token kind, credentials in GitLab's headers (replace with the format's own rules, cited in ./gitlab.ts). */
const gitlab: TerraformProfile = defineProfile({
  name: "gitlab",
  description: "GitLab's Terraform modules registry",
  tokenKinds: ["personal", "deploy", "job", "readonly", "anonymous", "invalid"],
  capabilities: { delete: false },
  policies: { duplicates: "reject", duplicateStatus: [] },
  limits: { maxFileSize: 0 },
  authHeaders: (credential) => gitlabApiHeaders(credential),
});

export const terraformProfiles: Readonly<Record<string, TerraformProfile>> = { gitlab };

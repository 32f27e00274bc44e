// The README's vitest example: typechecked by packages/cli/test/docs.test.ts.
import { describeConformance } from "@regkit/core/vitest";
import { npmKit } from "@regkit/npm";

describeConformance(npmKit, {
  registry: "https://gitlab.example.com/api/v4/projects/42/packages/npm",
  profile: "gitlab",
  credentials: {
    personal: process.env.GITLAB_PAT,
    deploy: { username: "gitlab+deploy-token-1", token: process.env.DEPLOY_TOKEN ?? "" },
    job: process.env.CI_JOB_TOKEN,
  },
  settings: { visibility: "private", manyVersions: 100 },
});

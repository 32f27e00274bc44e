// Running a kit from a script and writing the reports CI and people read.
import { consoleReporter, htmlReporter, junitReporter, runConformance, type Target } from "@regkit/core";
import { mavenKit } from "@regkit/maven";

const target: Target = {
  registry: "https://gitlab.example.com/api/v4/projects/42/packages/maven",
  profile: "gitlab",
  credentials: { job: process.env.CI_JOB_TOKEN },
  policies: { duplicates: "reject" },
  limits: { maxFileSize: 3 * 1024 ** 3 },
};

const report = await runConformance({ kit: mavenKit, target, scenarios: ["push", "pull"] });
for (const reporter of [consoleReporter(), junitReporter("regkit-junit.xml"), htmlReporter("regkit-report.html")]) {
  await reporter.finish([report]);
}
process.exitCode = report.summary.fail + report.summary.error > 0 ? 1 : 0;

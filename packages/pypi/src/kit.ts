import { compare } from "@renovatebot/pep440";
import { defineKit, factList, type RouteTemplate } from "@regkit/core";
import { pypiArbitraries } from "./arbitraries.js";
import { buildRelease } from "./package.js";
import { connectPypi } from "./client.js";
import { pip, pipPypi, poetry, twine, twinePypi, uv } from "./drivers.js";
import { pypiGitLabFacts } from "./gitlab.js";
import { normalizeName } from "./names.js";
import { pypiProfiles } from "./profiles.js";
import { pypiScenarios } from "./scenarios.js";

/** The legacy upload API and the simple repository API (PEP 503 / 691). GitLab's upload path is the endpoint itself. */
export const pypiRoutes: readonly RouteTemplate[] = [
  { method: "POST", path: "/", summary: "upload (legacy API, multipart :action=file_upload; GitLab: the endpoint itself)" },
  { method: "POST", path: "/legacy", summary: "upload (legacy API, PyPI's path)" },
  { method: "GET", path: "/simple", summary: "project list" },
  { method: "GET", path: "/simple/:name", summary: "project page (HTML or PEP 691 JSON; GitLab: JSON only with the pypi_pep_691_json flag)" },
  { method: "GET", path: "/files/:sha256/:file", summary: "file download (the URL the index links; GitLab's layout)" },
  { method: "GET", path: "/packages/*path", summary: "file download (PyPI's layout)" },
];

/** The PyPI kit. */
export const pypiKit = defineKit({
  format: "pypi",
  title: "PyPI",
  description: "Python packages: the legacy upload API twine speaks, the simple index pip reads (PEP 503 HTML and PEP 691 JSON), PEP 440 versions.",
  profiles: pypiProfiles,
  defaultProfile: "gitlab",
  instanceLimit: pypiGitLabFacts.maxFileSize.value,
  routes: pypiRoutes,
  arbitraries: pypiArbitraries,
  packageName: (runId, base) => `regkit-${runId}-${base}`,
  ownsName: (runId, name) => normalizeName(name).startsWith(`regkit-${runId}-`),
  build: buildRelease,
  compareVersions: compare,
  connect: connectPypi,
  // Debian's twine and pip, their current releases from PyPI, uv and poetry:
  // each publishes and/or installs in clients.roundtrip and endpoints.audit; a
  // client that is not installed is skipped with the reason.
  drivers: [twine, twinePypi, pip, pipPypi, uv, poetry],
  scenarios: pypiScenarios,
  gitlabFacts: factList(pypiGitLabFacts),
});

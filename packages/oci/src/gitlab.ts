import { defineGitLabFacts } from "@regkit/core";

/**
 * GitLab's behaviours this kit relies on, each read from GitLab's source with
 * its file, route or method, and version (test/gitlab-facts.test.ts pins each).
 */
// Sources of the registry-side facts (reference registry's OCI routes and token realm).
const JWT = { file: "app/controllers/jwt_controller.rb", version: "GitLab source, commit 5bc58ba" };
const REGISTRY_AUTH = { file: "app/services/auth/container_registry_authentication_service.rb", version: "GitLab 17.x/18.x, commit de09f03" };
const AUTH = { file: "lib/gitlab/auth.rb", version: "GitLab 18.x, commit 1f75a14" };
const PATH = { file: "lib/container_registry/path.rb", version: "GitLab 18.x, commit 4dbbab7" };
const REGEX = { file: "lib/gitlab/regex.rb", version: "GitLab 16.x+, commit 5d1088c" };
const REFERENCE_PINNED = "packages/oci/test/gitlab-facts.test.ts";

export const ociGitLabFacts = defineGitLabFacts("oci", {
  // Registry side: what the reference registry's /v2/ routes and /jwt/auth realm model.
  tokenRealm: {
    behaviour: "where a registry client gets its Bearer token",
    gitlab:
      "`GET /jwt/auth?service=container_registry&scope=repository:<path>:<actions>` on the GitLab host (not the registry host), Basic credentials optional; an unknown `service` is 404, bad Basic credentials 401 `{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"HTTP Basic: Access denied\"}]}`; success is 200 `{\"token\": <JWT>}`",
    value: { path: "/jwt/auth", service: "container_registry" },
    source: { ...JWT, at: "JwtController#auth, SERVICES, authenticate_project_or_user, render_unauthorized" },
    pinnedBy: REFERENCE_PINNED,
  },
  tokenClaims: {
    behaviour: "the token the realm issues",
    gitlab:
      "an RS256 JWT (`JSONWebToken::RSAToken` with `registry.key`), `iss` = registry issuer (`gitlab-issuer` in gitlab.yml.example), `aud` = the `service` param, `sub` = the username, expiry `container_registry_token_expire_delay` minutes (default 5), and `access: [{type: \"repository\", name: <path>, actions: [...]}]` holding only the actions granted (a scope with none granted is left out)",
    value: { alg: "RS256", issuer: "gitlab-issuer", expiresInMinutes: 5 },
    source: { ...REGISTRY_AUTH, at: "authorized_token, token_expire_at, process_repository_access" },
    pinnedBy: REFERENCE_PINNED,
  },
  tokenDenied: {
    behaviour: "asking the realm for a scope nothing grants, with no credentials",
    gitlab:
      "403 `{\"errors\":[{\"code\":\"DENIED\",\"message\":\"access forbidden\"}]}` when no scope was granted and there is no user, deploy token or job (`unless scopes.any? || current_user || deploy_token || project`); an authenticated caller asking for actions it lacks gets 200 with a token whose `access` lacks them",
    value: { status: 403, code: "DENIED", message: "access forbidden" },
    source: { ...REGISTRY_AUTH, at: "execute (DENIED), can_access?" },
    pinnedBy: REFERENCE_PINNED,
  },
  registryActions: {
    behaviour: "which actions each credential is granted on a project's repository",
    gitlab:
      "`pull`: members (read_container_image), anyone on a public project, a deploy token with read_registry, a job token; `push`: Developer+ (create_container_image), a deploy token with write_registry, a job token of the same project only; `delete`: Maintainer+ (admin_container_image) or a job token of the same project, never a deploy token; `*`: Maintainer+",
    value: { pull: ["member", "public", "read_registry", "job"], push: ["developer", "write_registry", "own-job"], delete: ["maintainer", "own-job"] },
    source: { ...REGISTRY_AUTH, at: "can_access?, build_can_push?, build_can_delete?, deploy_token_can_pull?/push?, user_can_admin?" },
    pinnedBy: REFERENCE_PINNED,
  },
  registryCredentials: {
    behaviour: "which Basic credentials the realm accepts",
    gitlab:
      "`Gitlab::Auth.find_for_git_client`: `gitlab-ci-token` + a job token (build abilities: build_read/create/destroy_container_image); a personal access token with any username (scope api: all abilities; read_registry: read_container_image; write_registry: create_container_image); a deploy token only under its own username (its read_registry/write_registry scopes)",
    value: { jobUsername: "gitlab-ci-token", deployTokenUsernameChecked: true, personalTokenUsernameChecked: false },
    source: { ...AUTH, at: "find_for_git_client, build_access_token_check, personal_access_token_check, deploy_token_check, abilities_for_scopes" },
    pinnedBy: REFERENCE_PINNED,
  },
  repositoryPath: {
    behaviour: "how an image path names its project",
    gitlab:
      "the path is lowercased and must match `container_repository_name_regex` (`[a-z0-9]+(([._/]|__|-*)[a-z0-9])*`) with at least two components; the project is the longest of the last three prefixes that is a project, so an image adds at most two levels below `<group>/<project>`",
    value: { levelsSupported: 3, nameRegex: String.raw`^[a-z0-9]+(([._/]|__|-*)[a-z0-9])*$` },
    source: { ...PATH, at: "ContainerRegistry::Path#valid?, #repository_project (LEVELS_SUPPORTED = 3)" },
    pinnedBy: REFERENCE_PINNED,
  },
  tagName: {
    behaviour: "which tag names GitLab accepts",
    gitlab: "`container_registry_tag_regex`: `\\w[\\w.-]{0,127}` (the distribution spec's tag grammar)",
    value: String.raw`^\w[\w.-]{0,127}$`,
    source: { ...REGEX, at: "Gitlab::Regex#container_registry_tag_regex" },
    pinnedBy: REFERENCE_PINNED,
  },
  imageNamespace: {
    behaviour: "where a project's images live",
    gitlab:
      "on the registry host (gitlab.yml `registry.host`/`port`, separate from the GitLab host) under `/v2/<group>/<project>[/<image>]`; `CI_REGISTRY_IMAGE` is `<registry host>/<project full path>`; the reference serves both on one origin and hands out `http://HOST:PORT/<project path>` as the OCI endpoint",
    value: { api: "/v2/" },
    source: {
      file: "lib/gitlab/ci/variables/builder/project.rb",
      at: "container_registry_variables: CI_REGISTRY = Gitlab.config.registry.host_port, CI_REGISTRY_IMAGE = project.container_registry_url",
      version: "GitLab 16.x+, commit 70c5d79",
    },
    pinnedBy: REFERENCE_PINNED,
  },
  // Client kit facts go below this line.
  catalogAdminOnly: {
    behaviour: "listing repositories with `GET /v2/_catalog` (scope `registry:catalog:*`)",
    gitlab:
      "the realm grants `registry:catalog:*` to instance administrators only (`return unless current_user&.admin?`); any other caller's token lacks it, so project members, deploy and job tokens have no `_catalog`: the gitlab profile has no search",
    value: { scope: "registry:catalog:*", grantedTo: "admin" },
    source: { file: "app/services/auth/container_registry_authentication_service.rb", at: "process_scope, process_registry_access", version: "GitLab 17.x/18.x, commit de09f03" },
    pinnedBy: "packages/oci/test/gitlab-facts.test.ts",
  },
  tagProtection: {
    behaviour: "pushing a tag that already exists",
    gitlab:
      "tags move (a push replaces what the tag names) unless a `ContainerRegistry::Protection::TagRule` of the project matches the tag (`tag_name_pattern`, at most 100 characters): then only callers at `minimum_access_level_for_push` (maintainer, owner or admin) may push it and only those at `minimum_access_level_for_delete` may delete it; the gitlab profile's `immutableTags` setting turns push.duplicate into a check that the second push is refused",
    value: { defaultPolicy: "allow", accessLevels: ["maintainer", "owner", "admin"], patternMaxLength: 100 },
    source: { file: "app/models/container_registry/protection/tag_rule.rb", at: "ContainerRegistry::Protection::TagRule (ACCESS_LEVELS, validations)", version: "GitLab 17.x/18.x, commit 3dfa4bf" },
    pinnedBy: "packages/oci/test/gitlab-facts.test.ts",
  },
});

// Which headers carry credentials whatever their value: the known ones, and
// any whose name says so, so a new format's own credential header is blanked
// in every recorded exchange without a change in core.
import { describe, expect, test } from "vitest";
import { isCredentialHeader, redact, redactHeaders } from "@regkit/core";

describe("isCredentialHeader", () => {
  test("the credential headers of the formats and of GitLab, in any case", () => {
    for (const name of ["X-NuGet-ApiKey", "X-Auth-Token", "Private-Token", "PRIVATE-TOKEN", "Deploy-Token", "Job-Token", "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"]) {
      expect(isCredentialHeader(name), name).toBe(true);
    }
  });

  test("a name that says token, key, auth, secret, password or session", () => {
    for (const name of ["X-Api-Key", "x-apikey", "X-Registry-Secret", "X-Password", "X-Session-Id", "X-Upload-Token"]) {
      expect(isCredentialHeader(name), name).toBe(true);
    }
  });

  test("ordinary headers are kept", () => {
    for (const name of ["content-type", "Content-Type", "accept", "Accept-Encoding", "content-length", "user-agent", "npm-command", "etag", "location", "x-request-id"]) {
      expect(isCredentialHeader(name), name).toBe(false);
    }
  });

  test("redactHeaders blanks them whatever they hold, keeping the scheme, and redacts secrets elsewhere", () => {
    const secret = "nuget-key-0123456789";
    expect(
      redactHeaders(
        {
          "X-NuGet-ApiKey": secret,
          "X-Auth-Token": "not a known secret, blanked anyway",
          "Private-Token": ["a", "b"],
          Authorization: "Bearer anything",
          "Content-Type": "application/json",
          Accept: "application/json",
          Location: `https://x.example/?key=${secret}`,
          Absent: undefined,
        },
        [secret],
      ),
    ).toEqual({
      "x-nuget-apikey": "[REDACTED]",
      "x-auth-token": "[REDACTED]",
      "private-token": "[REDACTED]",
      authorization: "Bearer [REDACTED]",
      "content-type": "application/json",
      accept: "application/json",
      location: "https://x.example/?key=[REDACTED]",
    });
  });
});

describe("credentials the registry issues during a run", () => {
  // A token realm's answer and a Bearer token echoed into an error: no list of
  // secrets holds them in advance, and each is a working credential while it lasts.
  const jwt = `${Buffer.from('{"alg":"RS256","typ":"JWT"}').toString("base64url")}.${Buffer.from('{"iss":"gitlab-issuer","access":[]}').toString("base64url")}.c2lnbmF0dXJl`;

  test("a JSON Web Token is redacted wherever it appears, with no secrets given", () => {
    const out = redact(`denied: you sent Bearer ${jwt} (expired)`, []);
    expect(out).toBe("denied: you sent Bearer [REDACTED] (expired)");
  });

  test("token fields of a JSON answer are redacted, other fields kept", () => {
    const body = JSON.stringify({ token: "opaque-issued-value", access_token: "another-one", expires_in: 300, issued_at: "2026-12-01T00:00:00Z" });
    const out = redact(body, ["unrelated-secret"]);
    expect(out).not.toContain("opaque-issued-value");
    expect(out).not.toContain("another-one");
    expect(JSON.parse(out)).toEqual({ token: "[REDACTED]", access_token: "[REDACTED]", expires_in: 300, issued_at: "2026-12-01T00:00:00Z" });
  });

  test("text without issued credentials is unchanged", () => {
    const text = 'GET /v2/regkit/demo/tags/list answered 200 {"name":"regkit/demo","tags":["1.0.0"]} eyJ-not-a-token';
    expect(redact(text, [])).toBe(text);
  });
});

describe("redacting with a list of secrets", () => {
  // The list's forms are worked out once per list; a list that changes is worked out again.
  test("a secret added to a list already used is redacted too", () => {
    const secrets = ["first-secret-value"];
    expect(redact("a first-secret-value b", secrets)).toBe("a [REDACTED] b");
    (secrets as string[]).push("second-secret-value");
    expect(redact("first-secret-value second-secret-value", secrets)).toBe("[REDACTED] [REDACTED]");
  });

  // Base64 words shorter than the shortest secret's encoding are not decoded: the bound must not skip the shortest.
  test("Basic credentials of the shortest and of the longest secret, at every alignment", () => {
    const secrets = ["abcd", "a-much-longer-secret-0123456789"];
    for (const secret of secrets) {
      for (const user of ["u", "us", "use", "user"]) {
        const basic = Buffer.from(`${user}:${secret}`).toString("base64");
        const out = redact(`Authorization: Basic ${basic}`, secrets);
        expect(out, `${user}:${secret}`).toBe("Authorization: Basic [REDACTED]");
      }
    }
  });

  test("ordinary text and header values are unchanged", () => {
    const secrets = ["glpat-0123456789abcdefghij"];
    for (const text of ["application/json", "Wed, 02 Dec 2026 13:19:10 GMT", '"d41d8cd98f00b204e9800998ecf8427e"', "/api/v4/projects/1/packages/maven/com/example/app/1.0/app-1.0.jar"]) {
      expect(redact(text, secrets)).toBe(text);
    }
  });
});

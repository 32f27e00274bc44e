import type { Exchange, Scenario } from "../contract.js";
import { ConformanceFailure, ProtocolError, describeExchange } from "../errors.js";
import { mustList, mustMatch, mustRefuse, publishNew } from "./helpers.js";

export const authMatrix: Scenario = {
  id: "auth.matrix",
  title: "Refuse the negatives: no token, an invalid token, a read-only token",
  checklist: 7,
  description:
    "With a write credential, publishes a package; then, as anonymous, with an invalid token and with a read-only deploy token, tries to publish a new version (must be refused with 401/403/404 and never appear) and to pull (allowed for a read-only token, for anonymous only where the registry allows anonymous reads, refused for an invalid token).",
  audience: "negative",
  async run(ctx) {
    const writer = ctx.connect(ctx.writer!);
    const name = ctx.name(`auth-${ctx.credential.kind}`);
    const artifact = await publishNew(ctx, writer, { name, version: "1.0.0" }, "preparing the package with a write credential");

    const denied = ctx.target.profile.deniedStatus ?? [401, 403, 404];
    const intruder = await ctx.build({ name, version: "1.0.1" });
    ctx.track(name, "1.0.1");
    const outcome = await ctx.client.publish(intruder);
    mustRefuse(outcome, `publishing with ${describeKind(ctx.credential.kind)}`, denied);
    await mustList(ctx, writer, name, "1.0.1", false, `after the refused publish with ${describeKind(ctx.credential.kind)}`);

    const kind = ctx.credential.kind;
    const caps = ctx.target.capabilities;
    // invalidTokenRead: the registry treats an invalid token as no token, so it reads where anonymous may.
    const mayRead = kind === "readonly" || (kind === "anonymous" && caps.anonymousRead) || (kind === "invalid" && caps.invalidTokenRead === true && caps.anonymousRead);
    let readError: unknown;
    try {
      mustMatch(artifact, await ctx.client.download(name, "1.0.0"), `pulling with ${describeKind(kind)}`);
    } catch (error) {
      readError = error;
    }
    if (mayRead && readError) {
      const refused = (readError as { exchanges?: readonly { status: number }[] }).exchanges?.at(-1)?.status ?? 0;
      if (!denied.includes(refused)) throw readError;
      const setting = kind === "readonly" ? undefined : kind === "anonymous" ? "anonymousRead" : "invalidTokenRead";
      throw new ConformanceFailure(
        `pulling with ${describeKind(kind)} was refused, but the ${ctx.target.profile.name} profile says such reads are served${setting ? ` (${setting}=true; if the registry is private, say so with --set ${setting}=false)` : ""}`,
        { expected: "the package served", actual: `status ${refused}` },
        (readError as { exchanges?: readonly Exchange[] }).exchanges ?? [],
      );
    }
    if (!mayRead) {
      if (!readError) {
        throw new ConformanceFailure(
          `pulling with ${describeKind(kind)} succeeded`,
          { expected: `refused with status ${denied.join(" or ")}`, actual: "the package was served" },
          ctx.exchanges().slice(-2),
        );
      }
      const exchanges = (readError as { exchanges?: readonly { status: number }[] }).exchanges ?? [];
      const status = exchanges.at(-1)?.status ?? 0;
      if (!denied.includes(status)) {
        if (readError instanceof ConformanceFailure || readError instanceof ProtocolError) {
          throw new ConformanceFailure(
            `pulling with ${describeKind(kind)} was not refused the documented way: ${readError.message}`,
            { expected: `status ${denied.join(" or ")}`, actual: status ? `status ${status}` : "no status" },
            readError.exchanges,
          );
        }
        throw readError;
      }
      const last = ctx.exchanges().at(-1);
      if (last) ctx.note(`read refused: ${describeExchange(last)}`);
    }
  },
};

function describeKind(kind: string): string {
  switch (kind) {
    case "anonymous":
      return "no credentials";
    case "invalid":
      return "an invalid token";
    case "readonly":
      return "a read-only deploy token";
    default:
      return `a ${kind} token`;
  }
}

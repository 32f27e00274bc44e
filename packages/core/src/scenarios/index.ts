import type { Scenario } from "../contract.js";
import { endpointsAudit } from "./audit.js";
import { authMatrix } from "./auth.js";
import { clientsRoundtrip } from "./clients.js";
import { metadataVersions, search } from "./metadata.js";
import { modelRandomOps } from "./model.js";
import { pullDuplicate, pullPackage } from "./pull.js";
import { pushDuplicate, pushLarge, pushMany, pushOverLimit, pushSmall } from "./push.js";

/** The format-neutral catalog, in checklist order. */
export const coreScenarios: readonly Scenario[] = [
  pushSmall,
  pushDuplicate,
  pushLarge,
  pushOverLimit,
  pushMany,
  pullPackage,
  pullDuplicate,
  clientsRoundtrip,
  metadataVersions,
  search,
  endpointsAudit,
  authMatrix,
  modelRandomOps,
];

export { matchRoute, standardRoutes } from "./audit.js";
export * as scenarioHelpers from "./helpers.js";

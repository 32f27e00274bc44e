// The secrets search (secrets-suite.ts) over share 1 of the kits.
import { describeSecrets } from "./secrets-suite.js";

describeSecrets(1);

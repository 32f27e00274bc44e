import { preset } from "../../tooling/tsup.preset.js";

export default preset(["src/index.ts", "src/faults.ts", "src/contract.ts"]);

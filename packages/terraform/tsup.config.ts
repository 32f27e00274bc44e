import { preset } from "../../tooling/tsup.preset.js";

export default preset(["src/index.ts", "src/reference/index.ts"]);

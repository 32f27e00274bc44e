import * as fc from "fast-check";

const seed = Number(process.env.REGKIT_SEED);
if (Number.isInteger(seed)) fc.configureGlobal({ seed });

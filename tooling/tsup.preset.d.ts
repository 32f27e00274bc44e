import type { Options } from "tsup";
export declare function preset(entry: string[], extra?: Options): ReturnType<typeof import("tsup").defineConfig>;

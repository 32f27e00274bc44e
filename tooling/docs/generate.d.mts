export declare const CHECKLIST: Record<number, string>;
export declare function generateDocs(outDir: string, options?: { typedoc?: boolean; runs?: string }): Promise<{ formats: string[] }>;

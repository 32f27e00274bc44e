export declare function freePort(): Promise<number>;
export declare function startVerdaccio(options?: {
  maxBodySize?: string;
  access?: "$all" | "$authenticated";
  user?: string;
  password?: string;
  timeoutMs?: number;
}): Promise<{ url: string; token: string; username: string; pid: number; close(): Promise<void> }>;

/**
 * A registry that never answers, for tests that prove a client or a run ends
 * in bounded time against one.
 *
 * @module
 */
import { type Socket, createServer } from "node:net";

/** A listening black hole: its URL, the request lines it swallowed, and close. */
export interface BlackHole {
  readonly url: string;
  readonly requests: string[];
  close(): Promise<void>;
}

/** A registry that accepts connections, reads what comes and never writes a byte; records each request line. */
export async function startBlackHole(): Promise<BlackHole> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let head = "";
    socket.on("data", (chunk: Buffer) => {
      // Nothing is ever answered, so a connection carries one request: its first line is enough.
      if (head.includes("\r\n") || head.length > 8192) return;
      head += chunk.toString("latin1");
      if (head.includes("\r\n")) requests.push(head.slice(0, head.indexOf("\r\n")));
    });
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the black hole has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

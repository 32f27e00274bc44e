#!/usr/bin/env node
// The Node.js version is checked before anything else loads: on an older one
// a dependency fails as it is imported (undici 8 calls zlib functions Node
// 22.15 added), which would end the CLI with a stack trace instead of saying why.
import { MIN_NODE, nodeTooOld } from "./node-version.js";

if (nodeTooOld(process.versions.node)) {
  process.stderr.write(
    `regkit: needs Node.js ${MIN_NODE} or newer (the "engines" of @regkit/cli); this is Node.js ${process.versions.node} (${process.execPath}).\n` +
      `Install a newer Node.js; in regkit's repository, tooling/bootstrap.sh brings one.\n`,
  );
  process.exitCode = 2;
} else {
  // A reader that stops reading (`regkit list | head`) closes the pipe: what
  // is left to print is dropped, and a run goes on to clean up what it made
  // and to write its reports, instead of dying of EPIPE with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
    });
  }
  const { main } = await import("./cli.js");
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
}

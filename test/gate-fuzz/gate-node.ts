/**
 * The gate under fuzz, in its own process: a Gate on free TCP and WebSocket ports and a `fuzzecho` backend
 * whose HD_echo answers what it got. Prints `READY <tcp port> <ws port>`; exits 0 on SIGTERM after a
 * graceful stop. Uncaught exceptions and unhandled rejections keep node's default (print and exit
 * non-zero), which is the crash the test looks for.
 */
import { createApp } from "../../runtime/internal.js";
import type { Module } from "../../runtime/internal.js";
import { Gate } from "../../runtime/internal.js";

const echo: Module = {
  type: "fuzzecho",
  version: "1.0.0",
  onInit(ctx) {
    ctx.server.registerGo("HD_echo", (args) => args[1] ?? null);
  },
};

const gate = new Gate({ tcpAddr: "127.0.0.1:0", wsAddr: "127.0.0.1:0", connectTimeoutMs: 2_000 });
const app = createApp({
  parseFlags: false,
  debug: false,
  config: {
    Module: {
      Gate: [{ Id: "Gate001", ProcessID: "development", Settings: {} }],
      fuzzecho: [{ Id: "fuzzecho001", ProcessID: "development", Settings: {} }],
    },
  },
});
await app.start([gate, echo]);
process.stdout.write(`READY ${gate.server.tcpPort} ${gate.server.wsPort}\n`);

process.once("SIGTERM", () => {
  app.stop("SIGTERM").then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`stop failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
});

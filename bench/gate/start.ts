/** Starting one bench:gate server kind in its own child process (with a private nats-server when it needs one). */
import { NatsServer } from "../../test/support/nats-server.js";
import { Worker } from "../support/worker.js";
import type { ServerKind } from "./servers.js";

/** Open files for servers and load processes: 10,000 sockets each (capped by the hard limit, see Worker). */
export const fileLimit = 65_536;
/** BENCH_PROFILE_DIR: write a CPU profile of every server process there (for naming hot spots). */
const profileDir = process.env["BENCH_PROFILE_DIR"];
export const profileFlags: readonly string[] = profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`];

export interface Started {
  readonly kind: ServerKind;
  readonly nats: NatsServer | undefined;
  readonly server: Worker;
  readonly port: number;
}

export async function startServer(kind: ServerKind): Promise<Started> {
  const nats = kind.needsNats ? await NatsServer.start({ jetstream: true }) : undefined;
  const server = Worker.start({
    script: "bench/gate/server.ts",
    args: [kind.name, nats?.url ?? ""],
    nodeFlags: ["--expose-gc", ...profileFlags],
    fileLimit,
  });
  try {
    const ready = await server.next("ready", 30_000);
    return { kind, nats, server, port: Number(ready["port"]) };
  } catch (error) {
    await server.stop();
    await nats?.dispose();
    throw error;
  }
}

export async function stopServer(started: Started): Promise<void> {
  await started.server.stop();
  await started.nats?.dispose();
}


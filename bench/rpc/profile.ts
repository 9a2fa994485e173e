/**
 * Profiling aid, not part of `npm run bench`: runs one bench:rpc client scenario in this process (its server,
 * if any, in a child process on a private nats-server) so `node --cpu-prof --import tsx bench/rpc/profile.ts
 * <scenario> [server]` profiles the client side, or the server side with `server` (then the client runs in
 * the child). Prints the measured rates, and how many socket writes this process made per call: replies and
 * requests that a NATS client coalesces into one write cost the client, the broker and the peer less.
 */
import { Socket } from "node:net";
import { NatsServer } from "../../test/support/nats-server.js";
import { runLoad } from "../support/measure.js";
import { processStat } from "../support/proc.js";
import { Worker } from "../support/worker.js";
import { scenarioNamed } from "./scenarios.js";

const [name = "mqgen-local", side = "client"] = process.argv.slice(2);
let socketWrites = 0;
let socketBytes = 0;
const write = Socket.prototype.write;
Socket.prototype.write = function (this: Socket, ...args: Parameters<Socket["write"]>) {
  socketWrites++;
  const chunk = args[0] as unknown;
  socketBytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk instanceof Uint8Array ? chunk.byteLength : 0;
  return write.apply(this, args);
} as Socket["write"];
let calls = 0;

const cpuSeconds = (pid: number | undefined): number =>
  (pid === undefined ? undefined : processStat(pid)?.cpuSeconds) ?? Number.NaN;
const scenario = scenarioNamed(name);
const options = { warmupMs: 1000, serialMs: 2000, loadMs: 4000, concurrency: 64 };
const nats =
  scenario.startServer === undefined ? undefined : await NatsServer.start({ jetstream: scenario.jetstream ?? false });
const url = nats?.url ?? "";
if (side === "server" && scenario.startServer !== undefined) {
  const stop = await scenario.startServer(url);
  const client = Worker.start({ script: "bench/rpc/client.ts", args: [name, url] });
  await client.next("ready", 30_000);
  client.send({ type: "run", options });
  const result = await client.next("result", 60_000);
  console.log(result);
  const total = Number(result["serialPerSec"]) * options.serialMs / 1000 + Number(result["concurrentPerSec"]) * options.loadMs / 1000;
  console.log(
    `server socket writes per call ≈ ${(socketWrites / total).toFixed(3)}, bytes per call ≈ ${(socketBytes / total).toFixed(0)} (warm-up excluded from the call count)`,
  );
  await client.stop();
  await stop();
} else {
  const server =
    scenario.startServer === undefined ? undefined : Worker.start({ script: "bench/rpc/server.ts", args: [name, url] });
  await server?.next("ready", 30_000);
  const client = await scenario.startClient(url);
  const counted = async (): Promise<void> => {
    await client.call();
    calls++;
  };
  const natsCpuBefore = cpuSeconds(nats?.pid);
  const serverCpuBefore = cpuSeconds(server?.pid);
  const clientCpuBefore = process.cpuUsage();
  const writesBefore = socketWrites;
  const bytesBefore = socketBytes;
  console.log(await runLoad(counted, options));
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const perCall = (seconds: number): string => `${((1e6 * seconds) / calls).toFixed(1)} µs`;
  console.log(
    `CPU per call: client ${perCall((clientCpu.user + clientCpu.system) / 1e6)}, server process ${perCall(cpuSeconds(server?.pid) - serverCpuBefore)}, nats-server ${perCall(cpuSeconds(nats?.pid) - natsCpuBefore)}`,
  );
  console.log(
    `client socket writes per call: ${((socketWrites - writesBefore) / calls).toFixed(3)}, bytes per call: ${((socketBytes - bytesBefore) / calls).toFixed(0)}`,
  );
  await client.close();
  await server?.stop();
}
await nats?.dispose();
process.exit(0);

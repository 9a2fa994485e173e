/**
 * Profiling aid, not part of `npm run bench`: runs one bench:rpc client scenario in this process (its server,
 * if any, in a child process on a private nats-server) so `node --cpu-prof --import tsx bench/rpc/profile.ts
 * <scenario> [server]` profiles the client side, or the server side with `server` (then the client runs in
 * the child). Prints the measured rates.
 */
import { NatsServer } from "../../test/support/nats-server.js";
import { runLoad } from "../support/measure.js";
import { Worker } from "../support/worker.js";
import { scenarioNamed } from "./scenarios.js";

const [name = "mqgen-local", side = "client"] = process.argv.slice(2);
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
  console.log(await client.next("result", 60_000));
  await client.stop();
  await stop();
} else {
  const server =
    scenario.startServer === undefined ? undefined : Worker.start({ script: "bench/rpc/server.ts", args: [name, url] });
  await server?.next("ready", 30_000);
  const client = await scenario.startClient(url);
  console.log(await runLoad(client.call, options));
  await client.close();
  await server?.stop();
}
await nats?.dispose();
process.exit(0);

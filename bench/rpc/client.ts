/**
 * Client process of one bench:rpc scenario: `client.ts <scenario> <natsUrl>`. Connects once, then runs one
 * measurement round per `{"type":"run"}` line from the parent, so rounds of different scenarios interleave.
 */
import { runLoad, sleep, type LoadOptions } from "../support/measure.js";
import { emit, parentMessages, reportFailures } from "../support/worker.js";
import { scenarioNamed } from "./scenarios.js";

reportFailures();
const [name = "", natsUrl = ""] = process.argv.slice(2);
const client = await scenarioNamed(name).startClient(natsUrl);
// One call before reporting ready: a peer that drops its first call (Moleculer's known issue) would
// otherwise hang the measurement instead of failing it.
await Promise.race([
  client.call(),
  new Promise((_, reject) => setTimeout(() => reject(new Error(`${name}: first call did not answer in 10 s`)), 10_000)),
]);
emit({ type: "ready" });
for await (const message of parentMessages()) {
  if (message.type !== "run") continue;
  const options = message["options"] as LoadOptions;
  const result = await runLoad(client.call, options);
  emit({ type: "result", ...result });
}
await Promise.race([client.close(), sleep(5000)]);
process.exit(0);

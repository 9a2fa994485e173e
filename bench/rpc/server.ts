/** Server process of one bench:rpc scenario: `server.ts <scenario> <natsUrl>`; runs until stdin closes. */
import { sleep } from "../support/measure.js";
import { emit, reportFailures, untilParentCloses } from "../support/worker.js";
import { scenarioNamed } from "./scenarios.js";

reportFailures();
const [name = "", natsUrl = ""] = process.argv.slice(2);
const scenario = scenarioNamed(name);
if (scenario.startServer === undefined) throw new Error(`${name} has no server process`);
const stop = await scenario.startServer(natsUrl);
emit({ type: "ready" });
await untilParentCloses();
await Promise.race([stop(), sleep(5000)]);
process.exit(0);

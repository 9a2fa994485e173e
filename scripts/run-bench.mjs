// npm run bench [-- rpc codegen gate soak typecheck]: runs each benchmark in its own node process, one after another, so
// they never compete for the two cores. Each prints its table and writes bench/results/<name>.json.
import { spawnSync } from "node:child_process";

const all = ["rpc", "codegen", "gate", "soak", "typecheck"];
const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !all.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; choose from ${all.join(", ")}`);
  process.exit(2);
}
const selected = requested.length > 0 ? requested : all;
let failed = 0;
// A benchmark may have more than one script; each runs in its own process, one after another.
const scripts = { rpc: ["bench/rpc/run.ts", "bench/rpc/events.ts", "bench/rpc/house-ab.ts"] };
for (const name of selected) {
  for (const script of scripts[name] ?? [`bench/${name}/run.ts`]) {
    console.log(`\n=== bench:${name} (${script}) ===`);
    const started = Date.now();
    const result = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", script], {
      stdio: "inherit",
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (result.status !== 0) {
      failed++;
      console.error(`bench:${name} ${script} failed (exit ${result.status ?? result.signal}) after ${seconds} s`);
    } else {
      console.log(`bench:${name} ${script} finished in ${seconds} s`);
    }
  }
}
process.exit(failed > 0 ? 1 : 0);

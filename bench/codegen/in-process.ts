/**
 * `in-process.ts <schemaDir> <outDir> <warmRuns>`: times the codegen API's generate() in one process —
 * the first call (module load excluded, template setup included) and warm calls. Prints one JSON line.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../support/measure.js";

const [schemaDir = "", , warmRunsText = "3"] = process.argv.slice(2);
const entry = join(repoRoot, "codegen", "index.ts");
if (!existsSync(entry)) {
  console.log(JSON.stringify({ error: "codegen/index.ts is not there yet" }));
  process.exit(0);
}
type Generate = (options: { schemaDir: string }) => unknown;
const api = (await import(entry)) as { generate?: Generate };
if (typeof api.generate !== "function") {
  console.log(JSON.stringify({ error: "codegen/index.ts exports no generate()" }));
  process.exit(0);
}
const time = async (): Promise<number> => {
  const t0 = performance.now();
  await api.generate!({ schemaDir });
  return performance.now() - t0;
};
const coldMs = await time();
const warmMs: number[] = [];
for (let i = 0; i < Number(warmRunsText); i++) warmMs.push(await time());
console.log(JSON.stringify({ coldMs, warmMs }));

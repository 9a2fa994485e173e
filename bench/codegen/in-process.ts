/**
 * `in-process.ts <schemaDir> <warmRuns>`: times the codegen API's generate() (parse, validate, emit; no
 * file writes) in one process — the first call and warm calls. Prints one JSON line.
 */
import { generate } from "../../codegen/index.js";

const [schemaDir = "", warmRunsText = "3"] = process.argv.slice(2);
const time = (): { ms: number; files: number; diagnostics: number } => {
  const t0 = performance.now();
  const result = generate({ schemaDir });
  return { ms: performance.now() - t0, files: result.files.size, diagnostics: result.diagnostics.length };
};
const cold = time();
if (cold.diagnostics > 0 || cold.files === 0) {
  console.log(JSON.stringify({ error: `generate() returned ${cold.diagnostics} diagnostics, ${cold.files} files` }));
  process.exit(0);
}
const warmMs: number[] = [];
for (let i = 0; i < Number(warmRunsText); i++) warmMs.push(time().ms);
console.log(JSON.stringify({ coldMs: cold.ms, warmMs, files: cold.files }));

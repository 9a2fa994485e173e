import { makeCorpus } from "/work/wt/schemas/bench/codegen/make-corpus.ts";
import { generate } from "/work/wt/schemas/codegen/index.ts";
import { statSync, readdirSync } from "node:fs";
import { join } from "node:path";
const [modules, handlers, kind] = process.argv.slice(2).map((x, i) => (i < 2 ? Number(x) : x)) as [number, number, string];
const c = makeCorpus(`/tmp/scale-corpus-${modules}-${handlers}`, { modules, handlers });
const dir = kind === "yaml" ? c.yamlDir : c.protoDir;
let bytes = 0; for (const f of readdirSync(dir, { recursive: true }) as string[]) { try { const s = statSync(join(dir, f)); if (s.isFile()) bytes += s.size; } catch {} }
const t0 = performance.now();
const r = generate({ schemaDir: dir });
console.log(kind, modules, handlers, `${(bytes / 1e6).toFixed(2)} MB`, `${Math.round(performance.now() - t0)} ms`, r.diagnostics.length, r.files.size, `${Math.round(process.memoryUsage().rss / 1e6)} MB rss`);

import { loadModel, readSchemaSources } from "../../codegen/index.ts";
import { emitAll } from "../../codegen/emit/index.ts";
import { parseYamlSchema } from "../../codegen/parse/yaml.ts";
import { validateModel } from "../../codegen/validate.ts";
const dir = process.argv[2]!;
let t = performance.now();
const sources = readSchemaSources(dir);
let c = process.cpuUsage(); const lap = (l: string) => { const n = performance.now(); const cu = process.cpuUsage(c); console.log(l, Math.round(n - t), "ms wall", Math.round((cu.user + cu.system) / 1000), "ms cpu"); t = n; c = process.cpuUsage(); };
lap("read");
if (dir.includes("yaml")) { for (const s of sources) parseYamlSchema(s.path, s.text); lap("yaml parse only"); }
const { model, diagnostics } = loadModel({ schemaDir: dir, sources });
lap(`load (${diagnostics.length})`);
validateModel(model); lap("validate again");
const files = emitAll(model); lap(`emit ${files.size}`);

// The CLI starts without the schema parsers and the template engine: `mqgen --help` and `mqgen breaking`
// load only what they use, and a YAML-only generate loads neither protobufjs nor ts-morph.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

/** The heavy packages loaded after running `script` in a fresh process (CommonJS cache, where all four land). */
function packagesLoadedBy(script: string): string[] {
  const probe = `
    import { createRequire } from "node:module";
    ${script}
    const cache = Object.keys(createRequire(import.meta.url).cache);
    const names = new Set();
    for (const path of cache) {
      const m = /node_modules\\/(yaml|handlebars|protobufjs|ts-morph)\\//.exec(path);
      if (m) names.add(m[1]);
    }
    console.log(JSON.stringify([...names].sort()));
  `;
  const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", probe], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split("\n").pop() ?? "[]") as string[];
}

test("importing the CLI loads none of the generator's heavy packages (yaml, handlebars, ts-morph)", () => {
  // protobufjs is not checked here: the ops commands import the runtime, whose codec writer uses it.
  assert.deepEqual(packagesLoadedBy(`await import("./codegen/cli/main.ts");`).filter((name) => name !== "protobufjs"), []);
});

test("a YAML-only generate loads yaml and handlebars but not protobufjs or ts-morph", () => {
  const script = `
    const { generate } = await import("./codegen/index.ts");
    const r = generate({ schemaDir: "s", sources: [{ path: "s/a.yaml", text: "module: a\\nhandlers:\\n  x:\\n    returns: string\\n" }] });
    if (r.diagnostics.length > 0 || r.files.size === 0) throw new Error("generate failed");
  `;
  assert.deepEqual(packagesLoadedBy(script), ["handlebars", "yaml"]);
});

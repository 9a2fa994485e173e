/**
 * "mqgen without the middleware layer", the baseline of the ≤ 2 % goal: a copy of this tree's runtime/ in
 * bench/work/ with the layer cut out of the call paths (the client's and the server's chain lookups, and
 * the node notes that only client middleware reads) and nothing else changed. Measuring against an older
 * commit would count every later change as middleware cost; this measures the layer alone. Each cut names
 * the text it replaces and the copy is refused when that text is gone, so the baseline cannot drift away
 * from the code it mirrors unnoticed.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export type RuntimeModule = typeof import("../../runtime/internal.js");
export type HelloworldModule = typeof import("../../generated/helloworld.js");

/** A runtime and the generated helloworld bound to it (generated code imports `mqgen/runtime`). */
export interface RuntimeUnderTest {
  readonly runtime: RuntimeModule;
  readonly helloworld: HelloworldModule;
}

const ROOT = new URL("../../", import.meta.url).pathname;
const TARGET = join(ROOT, "bench", "work", "no-middleware");

interface Cut {
  readonly file: string;
  readonly pattern: RegExp;
  readonly replacement: string;
  readonly count: number;
}

const CUTS: readonly Cut[] = [
  {
    // call, callHandler, callArgs: straight to the direct path.
    file: "rpc/client.ts",
    pattern: /const chain = this\.options\.middleware\?\.client\([^;\n]*\);\n\s*if \(chain === undefined \|\| chain\.length === 0\) (return [^\n]*)/g,
    replacement: "$1",
    count: 3,
  },
  { file: "rpc/client.ts", pattern: /^\s*noteNode\(options, [^;\n]*\);\n/gm, replacement: "", count: 5 },
  {
    file: "rpc/server.ts",
    pattern: /const chain = this\.options\.middleware\?\.server\(this\.type\);\n(\s*)out = chain === undefined \|\| chain\.length === 0 \? (runIn\(job\.trace, job\.entry\.handler, args, job\.ctx\)) : [^\n]*/g,
    replacement: "out = $2;",
    count: 1,
  },
];

/** Writes the copy afresh from the current sources (bench:rpc does, once, before it starts any scenario). */
export function prepareNoMiddlewareTree(): void {
  rmSync(TARGET, { recursive: true, force: true });
  mkdirSync(TARGET, { recursive: true });
  cpSync(join(ROOT, "runtime"), join(TARGET, "runtime"), { recursive: true });
  for (const cut of CUTS) {
    const path = join(TARGET, "runtime", cut.file);
    const source = readFileSync(path, "utf8");
    const found = source.match(cut.pattern)?.length ?? 0;
    if (found !== cut.count) {
      throw new Error(`no-middleware baseline: ${cut.file} has ${found} matches of ${cut.pattern} (expected ${cut.count}); update the cut`);
    }
    writeFileSync(path, source.replace(cut.pattern, cut.replacement));
  }
  // The generated module must use the copy too, or one process would run two runtimes side by side.
  mkdirSync(join(TARGET, "generated"), { recursive: true });
  const generated = readFileSync(join(ROOT, "generated", "helloworld.ts"), "utf8");
  const bound = generated.replaceAll('from "mqgen/runtime"', 'from "../runtime/index.js"');
  if (bound.includes("mqgen/")) throw new Error("no-middleware baseline: generated/helloworld.ts imports another mqgen entry; bind it too");
  writeFileSync(join(TARGET, "generated", "helloworld.ts"), bound);
}

/** The copy's runtime/internal and generated helloworld (written first when missing, e.g. a scenario run alone). */
export async function noMiddlewareRuntime(): Promise<RuntimeUnderTest> {
  if (!existsSync(join(TARGET, "generated", "helloworld.ts"))) prepareNoMiddlewareTree();
  return {
    runtime: (await import(pathToFileURL(join(TARGET, "runtime", "internal.ts")).href)) as RuntimeModule,
    helloworld: (await import(pathToFileURL(join(TARGET, "generated", "helloworld.ts")).href)) as HelloworldModule,
  };
}

// The codec room (runtime/codec/) is re-exported by the browser gate client: nothing in it, nor anything it
// pulls in, may need Node. The argument and trace helpers of rpc/ are held to the same rule.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const runtimeDir = fileURLToPath(new URL("../../runtime/", import.meta.url));
const BROWSER_ENTRIES = [
  ...readdirSync(resolve(runtimeDir, "codec")).filter((name) => name.endsWith(".ts")).map((name) => `codec/${name}`),
  "rpc/trace.ts",
  "rpc/args.ts",
  "gate/client/index.ts",
];
const ALLOWED_PACKAGES = new Set(["protobufjs/minimal.js"]);

function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  for (const match of source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)) {
    // Type-only imports vanish at runtime.
    if (!/^\s*(?:import|export)\s+type\s/.test(match[0])) specifiers.push(match[1]);
  }
  return specifiers;
}

test("the codec files import only browser-safe code (no node: modules, no Buffer)", () => {
  const seen = new Set<string>();
  const queue = BROWSER_ENTRIES.map((entry) => resolve(runtimeDir, entry));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    assert.doesNotMatch(code, /\bBuffer\b/, `${file} uses Buffer`);
    assert.doesNotMatch(code, /\bprocess\./, `${file} uses process`);
    for (const specifier of importsOf(source)) {
      if (specifier.startsWith(".")) {
        queue.push(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
      } else {
        assert.ok(ALLOWED_PACKAGES.has(specifier), `${file} imports ${specifier}`);
      }
    }
  }
  assert.ok(seen.size >= BROWSER_ENTRIES.length + 1, "errors.ts is reached too");
});

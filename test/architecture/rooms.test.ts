/**
 * The house rules of docs/architecture.md, checked on the source tree: no import cycles between the rooms
 * (folders) of runtime/ and codegen/, no source file over 450 lines outside generated/, test/ and bench/,
 * and a public runtime entry of at most 50 values.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import * as publicEntry from "../../runtime/index.js";
import * as internalEntry from "../../runtime/internal.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const MAX_LINES = 450;
const MAX_PUBLIC_VALUES = 50;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
      out.push(...sourceFiles(full));
    } else if (/\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith(".d.ts")) {
      out.push(full);
    }
  }
  return out;
}

const SPECIFIER = /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*"(\.{1,2}\/[^"]+)"|\bimport\s*\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g;

/** Relative imports of a file (value and type-only alike: a type cycle is still a cycle of concerns). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const spec = match[1] ?? match[2];
    if (spec !== undefined) out.push(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
  }
  return out;
}

/** The room of a file: its first folder under the package root, or the file itself at the root. */
function roomOf(pkg: string, file: string): string | undefined {
  const rel = relative(join(repo, pkg), file);
  if (rel.startsWith("..")) return undefined;
  const parts = rel.split(sep);
  return parts.length === 1 ? `${pkg}/${parts[0]}` : `${pkg}/${parts[0]}/`;
}

/** Entry files re-export every room by design; they are outside the graph. */
const ENTRIES = new Set(["runtime/index.ts", "runtime/internal.ts"]);

function roomGraph(pkg: string): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(join(repo, pkg))) {
    if (ENTRIES.has(relative(repo, file))) continue;
    const from = roomOf(pkg, file) as string;
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const target of importsOf(file)) {
      if (ENTRIES.has(relative(repo, target))) {
        edges.add(`${relative(repo, target)} (entry)`);
        continue;
      }
      const to = roomOf(pkg, target);
      if (to !== undefined && to !== from) edges.add(to);
    }
  }
  return graph;
}

function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const cycle = visit(next);
        if (cycle !== undefined) return cycle;
      }
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of [...graph.keys()].sort()) {
    if (state.get(node) === undefined) {
      const cycle = visit(node);
      if (cycle !== undefined) return cycle;
    }
  }
  return undefined;
}

for (const pkg of ["runtime", "codegen"]) {
  test(`no import cycle between the rooms of ${pkg}/, and no room imports an entry file`, () => {
    const graph = roomGraph(pkg);
    assert.ok(graph.size > 3, `found the rooms of ${pkg}/`);
    const intoEntries = [...graph].flatMap(([room, edges]) => [...edges].filter((e) => e.endsWith("(entry)")).map((e) => `${room} → ${e}`));
    assert.deepEqual(intoEntries, []);
    assert.equal(findCycle(graph)?.join(" → "), undefined);
  });
}

/**
 * Rooms whose imports are pinned to their row of docs/architecture.md (`may import`): a new edge needs the
 * table changed first.
 */
const ROOM_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  "runtime/events/": ["runtime/descriptor.ts", "runtime/errors.ts", "runtime/log/", "runtime/transport/"],
};

test("rooms with pinned imports import only what docs/architecture.md lets them", () => {
  const graph = roomGraph("runtime");
  for (const [room, allowed] of Object.entries(ROOM_IMPORTS)) {
    assert.ok(graph.has(room), `${room} exists`);
    assert.deepEqual([...(graph.get(room) ?? [])].filter((to) => !allowed.includes(to)).sort(), [], `${room} imports beyond its row`);
  }
});

test(`no source file over ${MAX_LINES} lines outside generated/, test/ and bench/`, () => {
  const over: string[] = [];
  for (const top of readdirSync(repo).sort()) {
    if (["generated", "test", "bench", "node_modules", "dist"].includes(top) || top.startsWith(".")) continue;
    const full = join(repo, top);
    const files = statSync(full).isDirectory() ? sourceFiles(full) : /\.(ts|mts|mjs|js)$/.test(top) ? [full] : [];
    for (const file of files) {
      const rel = relative(repo, file).split(sep).join("/");
      const lines = readFileSync(file, "utf8").split("\n").length - 1;
      if (lines > MAX_LINES) over.push(`${rel}: ${lines} lines`);
    }
  }
  assert.deepEqual(over, []);
});

test(`mqgen/runtime exports at most ${MAX_PUBLIC_VALUES} values`, () => {
  const values = Object.keys(publicEntry).sort();
  assert.ok(values.length <= MAX_PUBLIC_VALUES, `${values.length} values: ${values.join(", ")}`);
  // What generated code and the templates import must stay there.
  for (const name of ["stringCodec", "mapCodec", "mapstrCodec", "voidCodec", "sessionCodec", "bytesCodec", "int64Codec", "createApp"]) {
    assert.ok(values.includes(name), `${name} is public`);
  }
});

test("the internal entry is a superset of the public one", () => {
  const internal = new Set(Object.keys(internalEntry));
  assert.deepEqual(Object.keys(publicEntry).filter((name) => !internal.has(name)), []);
  for (const name of Object.keys(publicEntry)) {
    assert.equal((internalEntry as Record<string, unknown>)[name], (publicEntry as Record<string, unknown>)[name], name);
  }
});

/** The entries tests, benchmarks and examples may import: the public one, the internal one, the gate client. */
const ENTRY_FILES = new Set(["runtime/index.ts", "runtime/internal.ts", "runtime/gate/client/index.ts"]);

test("tests, benchmarks and examples import the runtime through its entries, not deep paths", () => {
  const deep: string[] = [];
  for (const top of ["test", "bench", "examples"]) {
    for (const file of sourceFiles(join(repo, top))) {
      for (const target of importsOf(file)) {
        const rel = relative(repo, target).split(sep).join("/");
        if (rel.startsWith("runtime/") && !ENTRY_FILES.has(rel)) deep.push(`${relative(repo, file)} → ${rel}`);
      }
    }
  }
  assert.deepEqual(deep, []);
});

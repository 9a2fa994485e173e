/**
 * docs/runtime.md's TypeScript snippets run as written: each is type-checked with the repo's settings and
 * run with node, importing "mqgen/runtime" as a user would (mapped to this checkout's runtime).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";

const repo = resolve(import.meta.dirname, "..", "..");
const doc = readFileSync(join(repo, "docs", "runtime.md"), "utf8");
const snippets = [...doc.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "mqgen-docs-"));
  // Read only: tsx, typescript, @types/node and the runtime's dependencies, found as from the repo.
  symlinkSync(realpathSync(join(repo, "node_modules")), join(dir, "node_modules"), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "docs-snippets", private: true, type: "module" }));
  // The repo's compiler settings (strict, and its paths for "mqgen/runtime"), for the snippets only.
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ extends: join(repo, "tsconfig.json"), include: ["*.mts"] }));
  snippets.forEach((code, i) => writeFileSync(join(dir, `snippet-${i}.mts`), code));
});

after(() => rmSync(dir, { recursive: true, force: true }));

function runSnippet(i: number): { status: number | null; out: string } {
  const result = spawnSync(process.execPath, ["--import", "tsx", `snippet-${i}.mts`], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, NATS_URL: "", MQGEN_REGISTRY: "" },
    timeout: 60_000,
  });
  return { status: result.status, out: result.stdout + result.stderr };
}

test("docs/runtime.md has the snippets this test knows, and they type-check", () => {
  assert.equal(snippets.length, 2, "a new snippet needs its expected outcome below");
  const tsc = spawnSync(process.execPath, [join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: dir, encoding: "utf8" });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
});

test("the App snippet runs in process, answers the call and exits on its own", () => {
  const { status, out } = runSnippet(0);
  assert.equal(status, 0, out);
  assert.match(out, /\{ helloworld: 'helloworld@[0-9a-f]{16}' \}/);
  assert.match(out, /^hi mqant$/m);
});

test("the start-error snippet logs the entry and key once and exits 1", () => {
  const { status, out } = runSnippet(1);
  assert.equal(status, 1, out);
  const line = "start failed: Module.HttpGateway[0].Settings.Addr or Settings.Port is required";
  assert.equal(out.split(line).length - 1, 1, out);
});

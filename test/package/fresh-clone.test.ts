/**
 * A fresh clone (the tracked files only: no dist/, nothing built) keeps its in-repo flow: `npm run generate`
 * builds the CLI first and reproduces the committed generated/ exactly, `npm run build` compiles the tree,
 * and the bin runs compiled JavaScript. node_modules is linked read-only from this checkout.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";

const repo = resolve(import.meta.dirname, "..", "..");
let clone: string;

function run(cmd: string, args: readonly string[]): { status: number | null; out: string } {
  const result = spawnSync(cmd, args, { cwd: clone, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" }, timeout: 120_000 });
  return { status: result.status, out: result.stdout + result.stderr };
}

before(() => {
  clone = mkdtempSync(join(tmpdir(), "mqgen-clone-"));
  const tracked = spawnSync("git", ["ls-files", "-z"], { cwd: repo, encoding: "utf8" }).stdout.split("\0").filter((f) => f !== "");
  for (const file of tracked) {
    const from = join(repo, file);
    // A file deleted in the working tree but not yet in the index is not part of the clone.
    if (!existsSync(from)) continue;
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    copyFileSync(from, join(clone, file));
  }
  symlinkSync(realpathSync(join(repo, "node_modules")), join(clone, "node_modules"), "dir");
});

after(() => rmSync(clone, { recursive: true, force: true }));

test("npm run generate on a clone with no dist/ builds the CLI and reproduces generated/ byte for byte", () => {
  assert.ok(!existsSync(join(clone, "dist")), "nothing built yet");
  const before = new Map(
    spawnSync("git", ["ls-files", "generated"], { cwd: repo, encoding: "utf8" })
      .stdout.split("\n")
      .filter((f) => f !== "")
      .map((f) => [f, readFileSync(join(clone, f), "utf8")]),
  );
  const generate = run("npm", ["run", "generate"]);
  assert.equal(generate.status, 0, generate.out);
  assert.ok(existsSync(join(clone, "dist", "codegen", "cli", "main.js")));
  for (const [file, text] of before) assert.equal(readFileSync(join(clone, file), "utf8"), text, `${file} unchanged`);
  const check = run(process.execPath, ["bin/mqgen.js", "check", "schemas/"]);
  assert.equal(check.status, 0, check.out);
});

test("npm run build compiles the tree with declarations, and the bin reports its version", () => {
  const build = run("npm", ["run", "build"]);
  assert.equal(build.status, 0, build.out);
  for (const file of ["dist/runtime/index.js", "dist/runtime/index.d.ts", "dist/examples/main.js"]) assert.ok(existsSync(join(clone, file)), file);
  const version = run(process.execPath, ["bin/mqgen.js", "--version"]);
  assert.equal(version.status, 0, version.out);
  assert.equal(version.out.trim(), (JSON.parse(readFileSync(join(clone, "package.json"), "utf8")) as { version: string }).version);
});

/**
 * `mqgen init` in process: what it writes, the folder rules (empty or --force), the package name, and that
 * the generated module and the starter implementation agree. The packed end-to-end run is pack.test.ts.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runMqgen } from "../support/cli.js";

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "mqgen-init-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const FILES = [
  ".gitignore",
  "README.md",
  "conf/server.json",
  "package.json",
  "schemas/greeter.yaml",
  "src/generated/greeter.ts",
  "src/generated/index.ts",
  "src/greeter.module.ts",
  "src/greeter.test.ts",
  "src/hello.ts",
  "src/main.ts",
  "tsconfig.json",
];

test("init writes the project and generates its module; the package name comes from the folder", async () => {
  const run = await runMqgen(["init", "My App!"], dir);
  assert.equal(run.code, 0, run.err);
  const root = join(dir, "My App!");
  for (const file of FILES) assert.ok(existsSync(join(root, file)), file);
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; type: string; scripts: Record<string, string>; devDependencies: Record<string, string> };
  assert.equal(pkg.name, "my-app");
  assert.equal(pkg.type, "module");
  assert.equal(pkg.scripts["generate"], "mqgen schemas/ -o src/generated/ --impl src/");
  assert.ok(pkg.devDependencies["@tsconfig/strictest"] !== undefined && pkg.devDependencies["typescript"] !== undefined);
  const generated = readFileSync(join(root, "src/generated/greeter.ts"), "utf8");
  for (const name of ["export class GreeterClient", "export interface GreeterHandlers", "export function registerGreeter"]) assert.ok(generated.includes(name), name);
  assert.match(run.out, /^Created 12 files in My App!:/);
  assert.match(run.out, /Next: cd 'My App!' && npm install && npm start/);
});

test("a folder that is not empty is refused unless --force, and --force keeps other files", async () => {
  const root = join(dir, "busy");
  mkdirSync(root);
  writeFileSync(join(root, "notes.txt"), "mine");
  const refused = await runMqgen(["init", "busy"], dir);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /^mqgen init: busy is not empty \(1 entry\); use --force to write into it anyway/);
  assert.ok(!existsSync(join(root, "package.json")), "nothing written");
  const forced = await runMqgen(["init", "busy", "--force", "--name", "@team/busy"], dir);
  assert.equal(forced.code, 0, forced.err);
  assert.equal(readFileSync(join(root, "notes.txt"), "utf8"), "mine");
  assert.equal((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string }).name, "@team/busy");
});

test("init into the current, empty folder; a file in the way is a usage error", async () => {
  const root = join(dir, "here");
  mkdirSync(root);
  const run = await runMqgen(["init"], root);
  assert.equal(run.code, 0, run.err);
  assert.match(run.out, /Next: npm install && npm start/);
  writeFileSync(join(dir, "a-file"), "");
  const file = await runMqgen(["init", "a-file"], dir);
  assert.equal(file.code, 1);
  assert.match(file.err, /^mqgen init: a-file exists and is not a folder/);
});

test("mqgen --version prints the package version; --help lists init and prints the exit codes once", async () => {
  const version = await runMqgen(["--version"], dir);
  assert.equal(version.code, 0);
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as { version: string };
  assert.equal(version.out, `${pkg.version}\n`);
  const help = await runMqgen(["--help"], dir);
  assert.equal(help.code, 0);
  assert.equal(help.out.split("Exit codes:").length - 1, 1, help.out);
  assert.match(help.out, /^ {2}init +start a project/m);
  const initHelp = await runMqgen(["init", "--help"], dir);
  assert.match(initHelp.out, /^Usage: mqgen init \[dir\] \[--force\]/);
});

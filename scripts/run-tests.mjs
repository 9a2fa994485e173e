// npm test: the programs the tests start are there (scripts/provision.mjs, shared with .ci/run), a strict
// type-check of the whole tree (generated code included), generated code up to date, then every test file
// under test/ on node's test runner. Each test starts the servers it needs.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { provision } from "./provision.mjs";

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name === "fixtures" || name === "support" || name === "node_modules") continue;
      out.push(...findTests(full));
    } else if (name.endsWith(".test.ts")) {
      out.push(full);
    }
  }
  return out;
}

function run(label, cmd, args) {
  console.log(`\n> ${label}`);
  const result = spawnSync(cmd, args, { stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`\n${label} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

const filter = process.argv.slice(2);
console.log("> programs the tests need (scripts/provision.mjs)");
if (provision() !== 0) process.exit(1);
let files = findTests("test");
if (filter.length > 0) files = files.filter((f) => filter.some((p) => f.includes(p)));
if (filter.length === 0) {
  run("type-check (tsc --noEmit, strict)", process.execPath, ["node_modules/typescript/bin/tsc", "--noEmit", "-p", "tsconfig.json"]);
  run("generated code is up to date (mqgen check)", process.execPath, ["bin/mqgen.js", "check", "schemas/"]);
  run("no breaking schema change against mqgen.lock.json (mqgen breaking)", process.execPath, ["bin/mqgen.js", "breaking", "schemas/", "--against", "mqgen.lock.json"]);
}
run(`tests (${files.length} files)`, process.execPath, [
  "--import",
  "tsx",
  "--test",
  "--test-concurrency=1",
  // A hung test fails after two minutes instead of holding CI until its limit.
  "--test-timeout=120000",
  "--test-reporter=spec",
  ...files,
]);

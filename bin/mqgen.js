#!/usr/bin/env node
// mqgen CLI. Runs the compiled CLI when a build newer than every generator source exists, else the
// TypeScript sources through tsx.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const compiled = fileURLToPath(new URL("../dist/codegen/cli/main.js", import.meta.url));
const sources = fileURLToPath(new URL("../codegen/", import.meta.url));

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

let cli;
if (existsSync(compiled) && statSync(compiled).mtimeMs >= newestSource(sources)) {
  cli = await import(compiled);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  cli = await import(join(sources, "cli", "main.ts"));
}
process.exitCode = await cli.runCli(process.argv.slice(2));

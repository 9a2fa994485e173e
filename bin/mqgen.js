#!/usr/bin/env node
// mqgen CLI: runs the compiled CLI in dist/. An installed package ships dist/ already built (prepack); in a
// source checkout a missing or stale CLI build is rebuilt with the checkout's own TypeScript first.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const compiled = join(root, "dist", "codegen", "cli", "main.js");
const sources = join(root, "codegen");

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

if (existsSync(join(sources, "cli", "main.ts"))) {
  const built = existsSync(compiled) ? statSync(compiled).mtimeMs : -1;
  if (built < newestSource(sources)) {
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    const build = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.cli.json")], { stdio: ["ignore", "inherit", "inherit"] });
    if (build.status !== 0) {
      process.stderr.write("mqgen: building the CLI from codegen/ failed (npm run build:cli)\n");
      process.exit(2);
    }
  }
} else if (!existsSync(compiled)) {
  process.stderr.write(`mqgen: ${compiled} is missing; this copy of mqgen was packed without running its build\n`);
  process.exit(2);
}

const cli = await import(compiled);
process.exitCode = await cli.runCli(process.argv.slice(2));

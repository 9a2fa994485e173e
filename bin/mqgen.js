#!/usr/bin/env node
// mqgen CLI. Runs the compiled CLI when a build at least as new as the sources exists, else the
// TypeScript sources through tsx.
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const compiled = fileURLToPath(new URL("../dist/codegen/cli/main.js", import.meta.url));
const source = fileURLToPath(new URL("../codegen/cli/main.ts", import.meta.url));

let cli;
if (existsSync(compiled) && statSync(compiled).mtimeMs >= statSync(source).mtimeMs) {
  cli = await import(compiled);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  cli = await import(source);
}
process.exitCode = await cli.runCli(process.argv.slice(2));

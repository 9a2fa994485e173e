/** `mqgen init [dir]`: starts a project from the template in ../init/template.ts and generates its code once. */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { formatDiagnostic } from "../../index.js";
import { parseArgs, UsageError } from "../args.js";
import type { CliIO, Command } from "../command.js";
import { EXIT_CODES_HELP, EXIT_INTERNAL, EXIT_OK } from "../command.js";
import { GENERATED_DIR, IMPL_DIR, SCHEMA_DIR, templateFiles } from "../init/template.js";
import { ownPackage } from "../version.js";
import { runGenerateOnce } from "./generate.js";

const FLAGS = [
  { names: ["--force", "-f"], takesValue: false },
  { names: ["--name"], takesValue: true },
  { names: ["--help", "-h"], takesValue: false },
];

const HELP = `Usage: mqgen init [dir] [--force] [--name <package name>]

Starts a project in dir (default: the current folder): package.json (ESM; scripts generate, build, start,
test; depends on mqgen), tsconfig.json (extends @tsconfig/strictest), schemas/greeter.yaml, its
implementation src/greeter.module.ts, src/main.ts (the app), src/hello.ts (a client), conf/server.json and
a node:test test, then generates src/generated/. Next: cd dir && npm install && npm start.

Options:
  -f, --force        write into a folder that is not empty (files of the same name are overwritten)
  --name <name>      package name (default: the folder's name)
  -h, --help         this help

${EXIT_CODES_HELP}
`;

/** A valid npm package name from a folder name: lower case, only URL-safe characters. */
function packageName(dir: string): string {
  const name = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, "-")
    .replace(/^[._-]+|[-]+$/g, "");
  return name === "" ? "mqgen-app" : name;
}

async function runInit(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, FLAGS);
  if (args.flags.has("--help")) {
    io.out(HELP);
    return EXIT_OK;
  }
  if (args.positionals.length > 1) throw new UsageError(`expected one folder, got ${args.positionals.join(" ")}`);
  const target = resolve(io.cwd, args.positionals[0] ?? ".");
  const shown = args.positionals[0] ?? ".";
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) throw new UsageError(`${shown} exists and is not a folder`);
    const entries = readdirSync(target);
    if (entries.length > 0 && !args.flags.has("--force")) {
      throw new UsageError(`${shown} is not empty (${entries.length} entr${entries.length === 1 ? "y" : "ies"}); use --force to write into it anyway`);
    }
  }
  const name = args.flags.get("--name");
  const own = ownPackage();
  const files = templateFiles({
    name: typeof name === "string" ? name : packageName(target),
    mqgenRange: `^${own.version}`,
    typescriptRange: own.devDependencies["typescript"] ?? "^5.9.0",
    strictestRange: own.devDependencies["@tsconfig/strictest"] ?? "^2.0.8",
    nodeTypesRange: own.devDependencies["@types/node"] ?? "^20.19.0",
  });
  for (const [path, content] of files) {
    const full = join(target, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  // Generated once here, so an editor opened before the first npm install already sees the types.
  const run = await runGenerateOnce(join(target, SCHEMA_DIR), join(target, GENERATED_DIR), join(target, IMPL_DIR));
  if (!run.ok) {
    for (const d of run.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
    return EXIT_INTERNAL;
  }
  const quoted = /^[\w./@-]+$/.test(shown) ? shown : `'${shown.replaceAll("'", "'\\''")}'`;
  const cd = shown === "." ? "" : `cd ${quoted} && `;
  io.out(
    `Created ${files.size + run.written.length} files in ${shown}:\n` +
      [...files.keys(), ...run.written.map((f) => `${GENERATED_DIR}/${f}`)].map((f) => `  ${f}\n`).join("") +
      `\nNext: ${cd}npm install && npm start   (npm test runs the tests)\n`,
  );
  return EXIT_OK;
}

export const initCommand: Command = {
  name: "init",
  summary: "start a project: package.json, tsconfig, one schema, its implementation, server.json, a test",
  help: HELP,
  run: runInit,
};

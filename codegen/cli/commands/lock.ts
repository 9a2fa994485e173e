/** `mqgen lock`: writes the contract snapshot `mqgen breaking` compares against by default. */
import { readFileSync, writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { BreakingCheckError, DEFAULT_LOCK_FILE, formatFailure, lockText, readContractBaseline } from "../../breaking/index.js";
import { commandArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { EXIT_FAILED, EXIT_OK } from "../command.js";

const FLAGS = [
  { names: ["--out", "-o"], takesValue: true },
  { names: ["--check"], takesValue: false },
  { names: ["--help", "-h"], takesValue: false },
];

const HELP = `Usage: mqgen lock [schemas/] [-o mqgen.lock.json] [--check]

Writes a normalized, deterministic snapshot of the schemas' contract (modules, handlers, params, results,
pushes, messages with field numbers and reservations, enums) to mqgen.lock.json. Commit it: it is the
default baseline of \`mqgen breaking\`, which then needs no git history (shallow CI clones work). Source
positions and docs are left out, so the lock only changes when the contract does.

Each handler's contract id (the hash nodes advertise and callers check at run time) is carried over from
the lock being replaced unless the handler's wire contract broke; \`mqgen\` reads the same lock when it
generates, so a compatible change (a new optional field) keeps old and new builds talking.

Options:
  -o, --out <file>   lock file to write (default: mqgen.lock.json)
  --check            write nothing; exit 1 if the lock file differs from the schemas
  -h, --help         this help

Exit codes:
  0  written (or, with --check, up to date)
  1  the schemas have errors, or --check found the lock out of date
  2  internal error
`;

export const lockCommand: Command = {
  name: "lock",
  summary: "write mqgen.lock.json, the contract baseline of mqgen breaking",
  help: HELP,
  async run(argv, io) {
    const parsed = commandArgs(argv, FLAGS, io, HELP);
    if (parsed === undefined) return EXIT_OK;
    const { args, schemaDir } = parsed;
    const lockPath = resolve(io.cwd, stringFlag(args, "--out") ?? DEFAULT_LOCK_FILE);
    const label = relative(io.cwd, lockPath) || lockPath;
    let text: string;
    try {
      text = lockText(schemaDir, readContractBaseline(lockPath, false));
    } catch (error) {
      if (!(error instanceof BreakingCheckError)) throw error;
      for (const line of formatFailure(error, "text")) io.err(`${line}\n`);
      return EXIT_FAILED;
    }
    if (args.flags.has("--check")) {
      let current: string | undefined;
      try {
        current = readFileSync(lockPath, "utf8");
      } catch {
        current = undefined;
      }
      if (current === text) {
        io.out(`mqgen lock: ${label} is up to date\n`);
        return EXIT_OK;
      }
      io.err(`mqgen lock: ${label} is ${current === undefined ? "missing" : "out of date"}; run mqgen lock\n`);
      return EXIT_FAILED;
    }
    writeFileSync(lockPath, text);
    io.out(`mqgen lock: wrote ${label}\n`);
    return EXIT_OK;
  },
};

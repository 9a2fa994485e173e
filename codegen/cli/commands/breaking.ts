/** `mqgen breaking`: compares the schemas with a baseline and reports contract breaks, buf-style. */
import {
  BreakingCheckError,
  checkBreaking,
  DEFAULT_LOCK_FILE,
  EXIT_FAILURE,
  formatFailure,
  formatViolation,
} from "../../breaking/index.js";
import type { OutputFormat } from "../../breaking/index.js";
import { commandArgs, stringFlag, UsageError } from "../args.js";
import type { Command } from "../command.js";
import { EXIT_OK } from "../command.js";

const FLAGS = [
  { names: ["--against"], takesValue: true },
  { names: ["--format"], takesValue: true },
  { names: ["--allow"], takesValue: true },
  { names: ["--help", "-h"], takesValue: false },
];

const HELP = `Usage: mqgen breaking [schemas/] [--against <baseline>] [--format text|json|github-actions]
                      [--allow RULE_ID[,RULE_ID…]]…

Compares the schemas with a baseline and reports every change that breaks callers or nodes built from the
baseline, as \`file:line:col: RULE_ID message\` (positions in the new schemas where possible).

Baselines (--against):
  mqgen.lock.json     a lock file written by \`mqgen lock\` (the default; works in shallow clones)
  <dir>               another schema folder
  git:<ref>           the same schema folder at a git revision (git:main, git:HEAD~1, git:v1.2.0)
  git:<ref>:<path>    a lock file or schema folder at a git revision

Allowing an intentional break:
  --allow RULE_ID                          everywhere (repeatable, or comma-separated)
  # mqgen:allow RULE_ID reason: <why>      YAML, on the changed line or the line above it
  // mqgen:allow RULE_ID reason: <why>     .proto, likewise; an allow without a reason is an error

Options:
  --against <b>      baseline (default: mqgen.lock.json)
  --format <f>       text (default), json (one object per line, buf's keys) or github-actions
  --allow <ids>      rule IDs to allow everywhere
  -h, --help         this help

Rules and categories: docs/contract-checks.md

Exit codes:
  0    no violations (warnings may be printed)
  1    the check could not run (bad baseline, schemas with errors, usage error)
  100  violations found
`;

function parseFormat(value: string | undefined): OutputFormat {
  const format = value ?? "text";
  if (format !== "text" && format !== "json" && format !== "github-actions") {
    throw new UsageError(`--format must be text, json or github-actions, not '${format}'`);
  }
  return format;
}

/** parseArgs keeps the last value of a flag; --allow may be given several times. */
function allowFlags(argv: readonly string[]): string[] {
  const ids: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    let value: string | undefined;
    if (arg === "--allow") value = argv[i + 1];
    else if (arg.startsWith("--allow=")) value = arg.slice("--allow=".length);
    if (value !== undefined) ids.push(...value.split(",").map((id) => id.trim()).filter((id) => id !== ""));
  }
  return ids;
}

export const breakingCommand: Command = {
  name: "breaking",
  summary: "report breaking schema changes against mqgen.lock.json, a folder or a git revision (exit 100)",
  help: HELP,
  async run(argv, io) {
    const parsed = commandArgs(argv, FLAGS, io, HELP);
    if (parsed === undefined) return EXIT_OK;
    const { args, schemaDir } = parsed;
    const format = parseFormat(stringFlag(args, "--format"));
    const against = stringFlag(args, "--against") ?? DEFAULT_LOCK_FILE;
    try {
      const report = checkBreaking({ schemaDir, against, allow: allowFlags(argv), cwd: io.cwd });
      for (const violation of report.violations) io.out(`${formatViolation(violation, format)}\n`);
      if (format === "text") {
        const errors = report.violations.filter((v) => v.severity === "error").length;
        const warnings = report.violations.length - errors;
        const allowed = report.allowed.length;
        if (report.violations.length > 0 || allowed > 0) {
          io.err(`mqgen breaking: ${errors} violation${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}, ${allowed} allowed (against ${against})\n`);
        }
      }
      return report.exitCode;
    } catch (error) {
      if (!(error instanceof BreakingCheckError)) throw error;
      const lines = formatFailure(error, format === "github-actions" ? "github-actions" : "text");
      for (const line of lines) io.err(`${line}\n`);
      return EXIT_FAILURE;
    }
  },
};

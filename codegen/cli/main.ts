/** `mqgen` entry point: picks the command, maps failures to the documented exit codes. */
import { UsageError } from "./args.js";
import { BreakingCheckError } from "../breaking/index.js";
import type { CliIO } from "./command.js";
import { EXIT_CODES_HELP, EXIT_FAILED, EXIT_INTERNAL, EXIT_OK } from "./command.js";
import { commands, defaultCommand } from "./commands/index.js";
import { ownPackage } from "./version.js";

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const list = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n");
  return `mqgen: schema-first microservices for TypeScript, wire-compatible with mqant

Usage: mqgen [command] [options]    (no command: generate)
       mqgen --version

Commands:
${list}

Run mqgen <command> --help for the options of a command. The options of generate:

${generateOptions()}

${EXIT_CODES_HELP}
`;
}

/** generate's help without its own trailer (exit codes, other commands), which mainHelp prints once. */
function generateOptions(): string {
  return defaultCommand.help
    .replace(EXIT_CODES_HELP, "")
    .replace(/\nOther commands:.*\n/, "\n")
    .trimEnd();
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  const named = commands.find((c) => c.name === first);
  const command = named ?? defaultCommand;
  const args = named ? rest : argv;
  if (!named && (first === "help" || (argv.length === 1 && (first === "--help" || first === "-h")))) {
    io.out(mainHelp());
    return EXIT_OK;
  }
  if (!named && argv.length === 1 && (first === "--version" || first === "-v" || first === "version")) {
    io.out(`${ownPackage().version}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`mqgen ${command.name}: ${error.message}\n\n${command.help}`);
      return EXIT_FAILED;
    }
    if (error instanceof BreakingCheckError) {
      io.err(`mqgen ${command.name}: ${error.message}\n`);
      return EXIT_FAILED;
    }
    io.err(`mqgen: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_INTERNAL;
  }
}

/** Runs the CLI in this process with its real stdio; resolves to the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const io: CliIO = {
    cwd: process.cwd(),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
  return main(argv, io);
}

export { EXIT_FAILED, EXIT_INTERNAL, EXIT_OK };

/** The dispatch table of `mqgen <command>`; add a command by adding its file and one entry here. */
import type { Command } from "../command.js";
import { breakingCommand } from "./breaking.js";
import { checkCommand } from "./check.js";
import { generateCommand } from "./generate.js";
import { lockCommand } from "./lock.js";
import { callCommand } from "./call.js";
import { nodesCommand } from "./nodes.js";
import { statsCommand } from "./stats.js";

export const commands: readonly Command[] = [generateCommand, checkCommand, lockCommand, breakingCommand, nodesCommand, callCommand, statsCommand];

/** The command that runs when the first argument names no command. */
export const defaultCommand: Command = generateCommand;

/**
 * Logging on pino, laid out like mqant's beego logger: a text line
 * `time [trace] [span] [processId] [L] msg` or mqant's JSON fields, on the console in debug mode and in
 * files `<logDir>/<prefix><processId><suffix>` rotated as beego rotates them (rotating-file.ts), with chosen
 * levels (multifile `separate`, e.g. error) also in their own file. Formatting happens in a tiny pino
 * destination rather than pino-pretty, so there is no worker thread and nothing to install.
 */
import { mkdirSync } from "node:fs";
import { pino } from "pino";
import type { LogConfig } from "./config.js";
import type { Logger } from "./types.js";
import { RotatingFile } from "./rotating-file.js";

export type { Logger } from "./types.js";

const LEVEL_LETTER: Record<number, string> = { 10: "T", 20: "D", 30: "I", 40: "W", 50: "E", 60: "C" };
const LEVEL_NAME: Record<number, string> = {
  10: "debug",
  20: "debug",
  30: "informational",
  40: "warning",
  50: "error",
  60: "critical",
};
/** beego level name → the lowest pino level it admits. */
const BEEGO_TO_PINO: Record<string, number> = {
  emergency: 60,
  alert: 60,
  critical: 60,
  error: 50,
  warning: 40,
  notice: 30,
  informational: 30,
  debug: 10,
};
const OMITTED = new Set(["level", "time", "msg", "pid", "hostname", "traceId", "spanId", "processId", "err"]);

interface Sink {
  minLevel: number;
  /** Only this exact level (separate files). */
  onlyLevel?: number;
  write(line: string, time: number): void;
}

export interface LoggerOptions {
  readonly debug: boolean;
  readonly processId: string;
  /** No file output when undefined. */
  readonly logDir: string | undefined;
  readonly config: LogConfig;
  /** Console target (tests pass their own). Defaults to process.stdout. */
  readonly console?: { write(line: string): unknown };
  /** Time source of records, of daily rotation and of retention (unix ms); tests move it across midnight. */
  readonly clock?: () => number;
}

export interface AppLogger {
  readonly logger: Logger;
  /** Paths of the files being written, for tools and tests. */
  readonly files: readonly string[];
  close(): void;
}

/**
 * Makes text from anywhere (a request's bytes, a peer's error text) safe for one text log line: CR, LF and
 * every other control character, and the Unicode line and paragraph separators, become escapes, so a
 * sender can never start a line of its own or rewrite the terminal. Backslashes are doubled, so an escape
 * in the text cannot pass for one of ours.
 */
export function escapeLogText(text: string): string {
  // The common case (nothing to escape) returns the string itself.
  if (!/[\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text)) return text;
  return text.replace(/[\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (char) => {
    switch (char) {
      case "\\":
        return "\\\\";
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      case "\t":
        return "\\t";
      default:
        return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
    }
  });
}

const STACK_FRAME = /^ {4}at \S/;

/**
 * An error's stack for a text log: the real frames (`    at …`, as V8 writes them) stay on their own
 * lines; everything else (the message, which may come from the network) is escaped onto the first line.
 */
function formatStack(err: { stack?: string; message?: string }): string {
  const text = err.stack ?? err.message ?? JSON.stringify(err);
  const lines = text.split("\n");
  let head = "";
  let frames = "";
  let inFrames = false;
  for (const line of lines) {
    if (STACK_FRAME.test(line) && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(line)) {
      inFrames = true;
      frames += `\n${line}`;
    } else if (!inFrames) {
      head += head === "" ? line : `\n${line}`;
    } else {
      // Text after the frames (a cause's message): its own escaped line, indented like a frame.
      frames += `\n    ${escapeLogText(line)}`;
    }
  }
  return `${escapeLogText(head)}${frames}\n`;
}

function formatText(record: Record<string, unknown>, processId: string): string {
  const time = new Date(record.time as number).toISOString();
  const trace = typeof record.traceId === "string" ? record.traceId : "-";
  const span = typeof record.spanId === "string" ? record.spanId : "-";
  const letter = LEVEL_LETTER[record.level as number] ?? "I";
  let extra = "";
  for (const [key, value] of Object.entries(record)) {
    if (OMITTED.has(key)) continue;
    extra += ` ${escapeLogText(key)}=${typeof value === "string" ? escapeLogText(value) : JSON.stringify(value)}`;
  }
  let line = `${time} [${escapeLogText(trace)}] [${escapeLogText(span)}] [${processId}] [${letter}] ${escapeLogText(String(record.msg ?? ""))}${extra}\n`;
  const err = record.err as { stack?: string; message?: string } | undefined;
  if (err !== undefined) line += formatStack(err);
  return line;
}

function formatJson(record: Record<string, unknown>, processId: string): string {
  const time = record.time as number;
  const err = record.err as { stack?: string; message?: string } | undefined;
  const out: Record<string, unknown> = {
    formattime: new Date(time).toISOString(),
    timestamp: time,
    message: record.msg ?? "",
    processid: processId,
    level: LEVEL_NAME[record.level as number] ?? "informational",
    trace_id: record.traceId ?? "",
    trace_span: record.spanId ?? "",
  };
  if (err !== undefined) out.stack = err.stack ?? err.message;
  for (const [key, value] of Object.entries(record)) if (!OMITTED.has(key)) out[key] = value;
  return JSON.stringify(out) + "\n";
}

export function createLogger(options: LoggerOptions): AppLogger {
  const clock = options.clock ?? Date.now;
  const sinks: Sink[] = [];
  const files: RotatingFile[] = [];
  const consoleOut = options.console ?? process.stdout;
  if (options.debug || options.config.console) {
    sinks.push({ minLevel: 10, write: (line) => consoleOut.write(line) });
  }
  const fileConfig = options.config.file;
  if (options.logDir !== undefined && fileConfig !== undefined) {
    mkdirSync(options.logDir, { recursive: true });
    const stem = `${fileConfig.prefix}${options.processId}`;
    const main = new RotatingFile(options.logDir, stem, fileConfig.suffix, fileConfig, clock);
    files.push(main);
    const minLevel = fileConfig.level === undefined ? 10 : (BEEGO_TO_PINO[fileConfig.level] ?? 10);
    sinks.push({ minLevel, write: (line, time) => main.write(line, time) });
    for (const level of fileConfig.separate) {
      const file = new RotatingFile(options.logDir, `${stem}.${level}`, fileConfig.suffix, fileConfig, clock);
      files.push(file);
      const pinoLevel = level === "debug" ? 20 : (BEEGO_TO_PINO[level] ?? 50);
      sinks.push({ minLevel: pinoLevel, onlyLevel: pinoLevel, write: (line, time) => file.write(line, time) });
    }
  }
  const format = options.config.json ? formatJson : formatText;
  const destination = {
    write(chunk: string): void {
      if (sinks.length === 0) return;
      const record = JSON.parse(chunk) as Record<string, unknown>;
      const level = record.level as number;
      const time = record.time as number;
      const line = format(record, options.processId);
      for (const sink of sinks) {
        if (level < sink.minLevel) continue;
        if (sink.onlyLevel !== undefined && level !== sink.onlyLevel) continue;
        sink.write(line, time);
      }
    },
  };
  const logger = pino(
    {
      level: sinks.length === 0 ? "silent" : "debug",
      base: undefined,
      serializers: { err: pino.stdSerializers.err },
      ...(options.clock === undefined ? {} : { timestamp: () => `,"time":${clock()}` }),
    },
    destination,
  );
  return {
    logger,
    files: files.map((f) => f.path),
    close(): void {
      for (const file of files.splice(0)) file.close();
      sinks.length = 0;
    },
  };
}

/** A logger that drops everything (for components created without an app). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/** mqant's BI logger: raw report lines, one daily file per process, no formatting. */
export interface BiWriter {
  readonly file: string | undefined;
  report(line: string): void;
  close(): void;
}

export function createBiWriter(options: {
  readonly processId: string;
  readonly dir: string;
  readonly config: LogConfig;
  readonly clock?: () => number;
}): BiWriter {
  const clock = options.clock ?? Date.now;
  const fileConfig = options.config.file;
  if (fileConfig === undefined) return { file: undefined, report: () => undefined, close: () => undefined };
  mkdirSync(options.dir, { recursive: true });
  const file = new RotatingFile(options.dir, `${fileConfig.prefix}${options.processId}`, fileConfig.suffix, fileConfig, clock);
  let open = true;
  return {
    file: file.path,
    report(line: string): void {
      if (open) file.write(line.endsWith("\n") ? line : `${line}\n`, clock());
    },
    close(): void {
      if (!open) return;
      open = false;
      file.close();
    },
  };
}

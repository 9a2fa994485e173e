/**
 * The parsed Log / BI sections of server.json, as the logger consumes them (app/config.ts parses them).
 */
import type { RotationPolicy } from "./rotating-file.js";

export interface LogFileConfig extends RotationPolicy {
  readonly prefix: string;
  readonly suffix: string;
  /** Levels that also go to their own file (multifile `separate`). */
  readonly separate: readonly string[];
  readonly level: string | undefined;
}

export interface LogConfig {
  readonly json: boolean;
  /** Absent when the Log section asks for no file output. */
  readonly file: LogFileConfig | undefined;
  /** Console output regardless of debug (`console` adapter present). */
  readonly console: boolean;
}

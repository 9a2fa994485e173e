/**
 * The parsed Log / BI sections of server.json, as the logger consumes them (app/config.ts parses them).
 */
export interface LogFileConfig {
  readonly prefix: string;
  readonly suffix: string;
  readonly daily: boolean;
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

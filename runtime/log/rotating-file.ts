/**
 * A log file rotated the way mqant's beego file adapter does it: by lines, by size and at local midnight,
 * renaming the full file to `<name>.<yyyy-mm-dd>.<nnn><suffix>`, then deleting rotated files older than
 * `maxDays`. Writing is pino's own SonicBoom (synchronous, so a line is on disk once logged); rotation is
 * a rename plus `reopen()`, so nothing of the file handling is ours but the naming and the counters.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";

type Destination = ReturnType<typeof pino.destination>;

/** beego's keys, with its defaults when absent (`logs/file.go` newFileWriter). */
export interface RotationPolicy {
  /** Rotate after this many records; 0 = never by lines. */
  readonly maxLines: number;
  /** Rotate once the file reaches this many bytes; 0 = never by size. */
  readonly maxSize: number;
  /** Rotate at local midnight. */
  readonly daily: boolean;
  /** Rotated files whose last write is older than this many days are deleted; 0 = kept. */
  readonly maxDays: number;
  /** No rotation at all when false (the file only grows). */
  readonly rotate: boolean;
  /** Mode of newly created files. */
  readonly perm: number;
}

export const BEEGO_ROTATION: RotationPolicy = { maxLines: 10_000_000, maxSize: 1 << 28, daily: true, maxDays: 7, rotate: true, perm: 0o660 };

const DAY_MS = 24 * 60 * 60 * 1000;

export function localDay(time: number): string {
  const d = new Date(time);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function countLines(path: string): number {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(64 * 1024);
    let lines = 0;
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
      for (let i = 0; i < read; i++) if (buffer[i] === 0x0a) lines++;
    }
    return lines;
  } finally {
    closeSync(fd);
  }
}

export class RotatingFile {
  readonly path: string;
  private readonly destination: Destination;
  private day: string;
  private lines = 0;
  private bytes = 0;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly stem: string,
    private readonly suffix: string,
    private readonly policy: RotationPolicy,
    private readonly clock: () => number,
  ) {
    this.path = join(dir, stem + suffix);
    // beego carries on counting where an existing file left off, so a restart does not reset the limits.
    if (existsSync(this.path)) {
      this.bytes = statSync(this.path).size;
      if (policy.rotate && policy.maxLines > 0 && this.bytes > 0) this.lines = countLines(this.path);
    }
    this.day = localDay(clock());
    this.destination = pino.destination({ dest: this.path, sync: true, mkdir: true, mode: policy.perm });
  }

  /** Writes one record's text; `time` is the record's own time, which decides the day it belongs to. */
  write(text: string, time: number): void {
    if (this.closed) return;
    const policy = this.policy;
    if (policy.rotate) {
      const day = policy.daily ? localDay(time) : this.day;
      const full = (policy.maxLines > 0 && this.lines >= policy.maxLines) || (policy.maxSize > 0 && this.bytes >= policy.maxSize);
      if (full || day !== this.day) this.rotate(day);
    }
    this.destination.write(text);
    this.lines++;
    this.bytes += Buffer.byteLength(text);
  }

  private rotate(day: string): void {
    if (this.bytes > 0) {
      let n = 1;
      let target: string;
      do {
        target = join(this.dir, `${this.stem}.${this.day}.${String(n).padStart(3, "0")}${this.suffix}`);
        n++;
      } while (existsSync(target));
      renameSync(this.path, target);
      this.destination.reopen();
    }
    this.day = day;
    this.lines = 0;
    this.bytes = 0;
    if (this.policy.maxDays > 0) this.deleteOld();
  }

  /** Rotated files of this log (same stem and suffix, never the live file) last written before the cut-off. */
  private deleteOld(): void {
    const cutoff = this.clock() - this.policy.maxDays * DAY_MS;
    const live = this.stem + this.suffix;
    for (const name of readdirSync(this.dir)) {
      if (name === live || !name.startsWith(`${this.stem}.`) || !name.endsWith(this.suffix)) continue;
      // `<stem>.<yyyy-mm-dd>.<nnn><suffix>` only: a separate level's file (`<stem>.error.log`) is not ours.
      const middle = name.slice(this.stem.length + 1, name.length - this.suffix.length);
      if (!/^\d{4}-\d{2}-\d{2}\.\d{3,}$/.test(middle)) continue;
      const path = join(this.dir, name);
      try {
        if (statSync(path).mtimeMs < cutoff) unlinkSync(path);
      } catch {
        // Deleted by someone else meanwhile: nothing left to do.
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.destination.destroy();
  }
}

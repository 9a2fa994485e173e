/**
 * Daily log files: at local midnight the current file is renamed to `<name>.<yyyy-mm-dd>.<n><suffix>` (as
 * beego's file adapter does) and a fresh one is opened; error lines also land in their own file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BEEGO_ROTATION, createLogger } from "../../runtime/internal.js";

test("log files rotate at local midnight and keep error lines in their own file too", () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-log-"));
  // 23:59:59 local time on 2026-03-14, then one second later it is the 15th.
  let now = new Date(2026, 2, 14, 23, 59, 59).getTime();
  const log = createLogger({
    debug: false,
    processId: "development",
    logDir: dir,
    clock: () => now,
    config: { json: false, console: false, file: { ...BEEGO_ROTATION, prefix: "", suffix: ".log", daily: true, separate: ["error"], level: undefined } },
  });
  try {
    log.logger.info("first day");
    log.logger.error("first day failure");
    now += 1_000;
    log.logger.info("second day");
    // A file rotates when it is next written to: the error file only once an error is logged on the 15th.
    assert.ok(!readdirSync(dir).includes("development.error.2026-03-14.001.log"));
    log.logger.error("second day failure");
    assert.deepEqual(readdirSync(dir).sort(), [
      "development.2026-03-14.001.log",
      "development.error.2026-03-14.001.log",
      "development.error.log",
      "development.log",
    ]);
    const rotated = readFileSync(join(dir, "development.2026-03-14.001.log"), "utf8");
    assert.match(rotated, /first day\n/);
    assert.match(rotated, /first day failure\n/);
    assert.doesNotMatch(rotated, /second day/);
    assert.match(readFileSync(join(dir, "development.log"), "utf8"), /^2026-03-1[45]T\S+ \[-\] \[-\] \[development\] \[I\] second day\n\S+ \[-\] \[-\] \[development\] \[E\] second day failure\n$/);
    assert.match(readFileSync(join(dir, "development.error.2026-03-14.001.log"), "utf8"), /^\S+ \[-\] \[-\] \[development\] \[E\] first day failure\n$/);
    assert.match(readFileSync(join(dir, "development.error.log"), "utf8"), /^\S+ \[-\] \[-\] \[development\] \[E\] second day failure\n$/);
  } finally {
    log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

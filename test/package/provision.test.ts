/**
 * scripts/provision.mjs, the step npm test and .ci/run share: silent when the machine has every program
 * the tests start; otherwise (here: a PATH without them and without apt-get) a list of what is missing
 * with the packages to install, and a non-zero exit — never a run that skips the tests needing them.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";

const script = resolve(import.meta.dirname, "..", "..", "scripts", "provision.mjs");

test("with every program installed, provisioning does nothing and succeeds", () => {
  const result = spawnSync(process.execPath, [script], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout + result.stderr, "");
});

test("a missing program is named with its package, and the exit is non-zero", () => {
  const bin = mkdtempSync(join(tmpdir(), "mqgen-path-"));
  try {
    // Only sh: no nats-server, etcd, chromium… and no apt-get to install them with.
    const sh = spawnSync("sh", ["-c", "command -v sh"], { encoding: "utf8" }).stdout.trim();
    symlinkSync(sh, join(bin, "sh"));
    const result = spawnSync(process.execPath, [script], { encoding: "utf8", env: { PATH: bin } });
    assert.equal(result.status, 1);
    for (const [command, pkg] of [
      ["nats-server", "nats-server"],
      ["mosquitto_pub", "mosquitto-clients"],
      ["etcd", "etcd-server"],
      ["chromium", "chromium"],
      ["prometheus", "prometheus"],
    ]) {
      assert.match(result.stderr, new RegExp(`^  ${command} +\\(Debian/Ubuntu package ${pkg}\\)`, "m"));
    }
    assert.match(result.stderr, /apt-get install -y nats-server mosquitto mosquitto-clients etcd-server chromium prometheus|install them with your package manager/);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

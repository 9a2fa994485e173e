// What the test suite needs on the machine besides node_modules: real servers and clients, started by the
// tests themselves. Shared by `npm test` (scripts/run-tests.mjs) and CI (.ci/run). Installs the missing
// ones with apt when running as root on Debian; anywhere else it says what to install and exits non-zero,
// because a missing tool would otherwise fail (never skip) the tests that need it.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";

/** Command the tests run → Debian package that provides it. */
export const REQUIREMENTS = [
  { command: "nats-server", apt: "nats-server", why: "every NATS test" },
  { command: "mosquitto", apt: "mosquitto", why: "MQTT interop tests" },
  { command: "mosquitto_pub", apt: "mosquitto-clients", why: "gate tests with mosquitto_pub/mosquitto_sub" },
  { command: "etcd", apt: "etcd-server", why: "etcd registry tests" },
  { command: "chromium", apt: "chromium", why: "the browser chat test (headless Chromium)" },
  { command: "prometheus", apt: "prometheus", why: "metrics tests scraped by a real Prometheus" },
];

function has(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

export function missing() {
  return REQUIREMENTS.filter((r) => !has(r.command));
}

function sh(cmd, args, env) {
  console.log(`$ ${cmd} ${args.join(" ")}`);
  const result = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, ...env } });
  return result.status === 0;
}

/** Returns 0 when everything is there (installing it if it can), else 1 after saying what is missing. */
export function provision() {
  const lacking = missing();
  if (lacking.length === 0) return 0;
  const packages = [...new Set(lacking.map((r) => r.apt))];
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const debian = existsSync("/etc/debian_version") && has("apt-get");
  if (isRoot && debian) {
    console.log(`provision: installing ${packages.join(" ")} (missing: ${lacking.map((r) => r.command).join(", ")})`);
    const env = { DEBIAN_FRONTEND: "noninteractive" };
    if (sh("apt-get", ["update", "-qq"], env) && sh("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], env)) {
      const still = missing();
      if (still.length === 0) return 0;
      console.error(`provision: still missing after apt-get install: ${still.map((r) => r.command).join(", ")}`);
      return 1;
    }
    console.error("provision: apt-get failed");
    return 1;
  }
  console.error("The test suite needs these programs, which are not installed:");
  for (const r of lacking) console.error(`  ${r.command.padEnd(14)} (Debian/Ubuntu package ${r.apt}) for ${r.why}`);
  console.error(
    isRoot
      ? "This is not a Debian system with apt-get: install them with your package manager, then run npm test again."
      : `Run npm test as root on Debian to have them installed, or install them yourself:\n  sudo apt-get update && sudo apt-get install -y ${packages.join(" ")}`,
  );
  return 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) process.exit(provision());

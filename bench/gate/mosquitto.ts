/**
 * Mosquitto (Debian's `/usr/sbin/mosquitto`) as a bench:gate peer: started on a free loopback port with its
 * own config (anonymous, no persistence, no connection cap, a per-client queue deep enough that the bench's
 * bounded window never hits it, Nagle off like the gate's sockets), stopped by PID.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "../../test/support/nats-server.js";

export const MOSQUITTO = "/usr/sbin/mosquitto";

export interface RunningMosquitto {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

export function mosquittoAvailable(): boolean {
  return existsSync(MOSQUITTO);
}

/** `mosquitto version 2.0.11` → `2.0.11` (it prints its usage with the version and exits non-zero). */
export function mosquittoVersion(): string {
  const out = spawnSync(MOSQUITTO, ["-h"], { encoding: "utf8" });
  return /version (\S+)/.exec(`${out.stdout}${out.stderr}`)?.[1] ?? "unknown";
}

export async function startMosquitto(fileLimit: number): Promise<RunningMosquitto> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "bench-mosquitto-"));
  const config = join(dir, "mosquitto.conf");
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence false",
      "max_connections -1",
      "max_queued_messages 100000",
      "set_tcp_nodelay true",
      "log_dest stderr",
      "log_type error",
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(
    "bash",
    ["-c", `ulimit -n ${fileLimit} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" -c "$1"`, MOSQUITTO, config],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, 10_000, "mosquitto");
  } catch (error) {
    await stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}: ${stderr}`);
  }
  return { port, pid: child.pid ?? 0, stop };
}

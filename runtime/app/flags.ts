/**
 * mqant's command-line flags: -wd, -conf, -pid, -log, -bi, plus mqgen's connection settings -nats and
 * -registry. Go's flag package accepts `-name value`, `-name=value` and the `--` forms; unknown flags are
 * left for the application.
 */
import { ConfigError } from "../errors.js";

export interface AppFlags {
  workDir?: string;
  configPath?: string;
  processId?: string;
  logDir?: string;
  biDir?: string;
  /** `--nats nats://host:port[,nats://…]`: NATS servers to connect to. */
  natsUrl?: string;
  /** `--registry memory|nats-kv|etcd[://host:port,…]|consul[://host:port]`. */
  registry?: string;
}

const FLAG_NAMES: Record<string, keyof AppFlags> = {
  wd: "workDir",
  conf: "configPath",
  pid: "processId",
  log: "logDir",
  bi: "biDir",
  nats: "natsUrl",
  registry: "registry",
};

export function parseFlags(argv: readonly string[]): AppFlags {
  const flags: AppFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const match = /^--?([a-zA-Z]+)(?:=(.*))?$/.exec(arg);
    if (match === null) continue;
    const field = FLAG_NAMES[match[1] as string];
    if (field === undefined) continue;
    let value = match[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined) throw new ConfigError(`flag -${match[1]}: missing value`);
      value = next;
      i++;
    }
    flags[field] = value;
  }
  return flags;
}

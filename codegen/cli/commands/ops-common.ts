/**
 * What the ops commands (`nodes`, `call`, `stats`) share: the connection flags, a client-only app over
 * NATS with the chosen registry, exit codes by error kind, and JSON output of runtime values.
 */
import { createApp, type App } from "../../../runtime/app/app.js";
import { encodeBase64 } from "../../../runtime/codec/base64.js";
import { MqgenError } from "../../../runtime/errors.js";
import { ConsulRegistry } from "../../../runtime/registry/consul.js";
import { EtcdRegistry } from "../../../runtime/registry/etcd.js";
import { NatsKvRegistry } from "../../../runtime/registry/nats-kv.js";
import type { Registry } from "../../../runtime/registry/types.js";
import { connect, type NatsConnection } from "nats";
import { UsageError, stringFlag, type FlagSpec, type ParsedArgs } from "../args.js";

export const CONNECTION_FLAGS: readonly FlagSpec[] = [
  { names: ["--nats"], takesValue: true },
  { names: ["--registry"], takesValue: true },
  { names: ["--etcd"], takesValue: true },
  { names: ["--consul"], takesValue: true },
  { names: ["--bucket"], takesValue: true },
];

export const CONNECTION_HELP = `Connection:
  --nats <url>          NATS server(s), comma-separated (default: $NATS_URL, else nats://127.0.0.1:4222)
  --registry <kind>     nats-kv (default), etcd or consul: where the nodes are registered
  --etcd <hosts>        etcd endpoints for --registry etcd (default 127.0.0.1:2379)
  --consul <addr>       Consul agent for --registry consul (default $CONSUL_HTTP_ADDR, else 127.0.0.1:8500)
  --bucket <name>       NATS KV bucket for --registry nats-kv (default: the runtime's)`;

/** Exit codes of the ops commands, by what went wrong. */
export const EXIT_REMOTE = 3;
export const EXIT_NOT_FOUND = 4;
export const EXIT_DEADLINE = 5;
export const EXIT_BUSY = 6;
export const EXIT_UNREACHABLE = 7;

export const OPS_EXIT_CODES_HELP = `Exit codes:
  0  success
  1  usage error, or arguments that do not fit the handler's schema
  2  internal error
  3  the handler answered an error
  4  no such module, node or handler
  5  deadline exceeded (--timeout)
  6  the node was busy (Rpc.MaxCoroutine and its queue full)
  7  NATS or the registry could not be reached`;

export function exitCodeOf(error: unknown): number | undefined {
  if (!(error instanceof MqgenError)) return undefined;
  switch (error.code) {
    case "REMOTE":
      return /^Remote function\(.*\) not found$/.test(error.message) ? EXIT_NOT_FOUND : EXIT_REMOTE;
    case "NONE_AVAILABLE":
    case "NOT_FOUND":
      return EXIT_NOT_FOUND;
    case "DEADLINE_EXCEEDED":
      return EXIT_DEADLINE;
    case "BUSY":
      return EXIT_BUSY;
    case "CLOSED":
    case "REGISTRY":
      return EXIT_UNREACHABLE;
    case "BAD_ARGUMENT":
    case "SCHEMA_MISMATCH":
      return 1;
    default:
      return undefined;
  }
}

export interface OpsSession {
  readonly nc: NatsConnection;
  readonly registry: Registry;
  readonly app: App;
  close(): Promise<void>;
}

export function natsServers(args: ParsedArgs): string[] {
  const value = stringFlag(args, "--nats") ?? process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** Connects to NATS (failing fast, not retrying forever as a node would) and opens the registry. */
export async function openSession(args: ParsedArgs, timeoutMs: number): Promise<OpsSession> {
  const servers = natsServers(args);
  let nc: NatsConnection;
  try {
    nc = await connect({ servers, name: "mqgen cli", timeout: Math.min(timeoutMs, 5000), maxReconnectAttempts: 0 });
  } catch (error) {
    throw new CliUnreachable(`cannot reach NATS at ${servers.join(", ")}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const kind = stringFlag(args, "--registry") ?? "nats-kv";
  let registry: Registry;
  if (kind === "nats-kv") {
    const bucket = stringFlag(args, "--bucket");
    registry = new NatsKvRegistry({ connection: nc, requestTimeoutMs: Math.min(timeoutMs, 5000), ...(bucket === undefined ? {} : { bucket }) });
  } else if (kind === "etcd") {
    registry = new EtcdRegistry({ hosts: (stringFlag(args, "--etcd") ?? "127.0.0.1:2379").split(","), requestTimeoutMs: Math.min(timeoutMs, 5000) });
  } else if (kind === "consul") {
    const address = stringFlag(args, "--consul");
    registry = new ConsulRegistry({ requestTimeoutMs: Math.min(timeoutMs, 5000), ...(address === undefined ? {} : { address }) });
  } else {
    await nc.close();
    throw new UsageError(`--registry must be nats-kv, etcd or consul, not '${kind}'`);
  }
  const app = createApp({
    parseFlags: false,
    debug: false,
    processId: "mqgen-cli",
    nats: nc,
    registry,
    micro: false,
    rpcTimeoutMs: timeoutMs,
    config: { Module: {} },
  });
  await app.start([]);
  return {
    nc,
    registry,
    app,
    close: async () => {
      await app.stop();
      await registry.close().catch(() => undefined);
      await nc.close().catch(() => undefined);
    },
  };
}

export class CliUnreachable extends Error {}

export function timeoutFlag(args: ParsedArgs, fallbackMs: number): number {
  const value = stringFlag(args, "--timeout");
  if (value === undefined) return fallbackMs;
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(value);
  if (match === null) throw new UsageError(`--timeout must be a duration like 500ms or 3s, not '${value}'`);
  const n = Number(match[1]);
  return Math.max(1, Math.round(match[2] === "ms" ? n : n * 1000));
}

/** Runtime values as JSON: int64 as decimal strings (exact), bytes as base64, as protobuf's JSON mapping. */
export function toJsonValue(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return encodeBase64(value);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJsonValue(v)]));
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJsonValue(v);
    return out;
  }
  return value;
}

/** `12s`, `5m3s`, `2h10m`, `3d4h`: how long ago, for humans. */
export function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

/** A left-aligned text table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

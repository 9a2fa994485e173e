/**
 * Where an app finds NATS and its registry when the code does not say: `--nats` / `NATS_URL` and
 * `--registry` / `MQGEN_REGISTRY`, read by createApp itself so every app built on mqgen takes the same
 * settings. With NATS and no registry named, the app uses the NATS KV registry on that same NATS: a node
 * in another process is then found with no extra infrastructure, where a per-process memory registry would
 * make the first cross-process call fail with NoneAvailableError.
 */
import type { NatsConnection } from "nats";
import { ConfigError } from "../errors.js";
import type { Logger } from "../log/types.js";
import { connectNats } from "../nats-connection.js";
import { natsJs } from "../nats-js.js";
import type { Registry } from "../registry/types.js";
import type { AppOptions } from "./options.js";
import { isNatsConnection } from "./support.js";

export type RegistryChoice =
  | { readonly kind: "memory" }
  | { readonly kind: "nats-kv" }
  | { readonly kind: "etcd"; readonly hosts: readonly string[] | undefined }
  | { readonly kind: "consul"; readonly address: string | undefined };

/** The registry kinds `--registry` takes, as printed in errors and docs. */
export const REGISTRY_CHOICES = "memory, nats-kv, etcd[://host:port,…] or consul[://host:port]";

function list(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** Parses `memory`, `nats-kv`, `etcd`, `etcd://h:p,h:p`, `consul`, `consul://h:p`; `source` names the flag or variable. */
export function parseRegistryChoice(text: string, source: string): RegistryChoice {
  const value = text.trim();
  const scheme = /^([a-z-]+)(?::\/\/(.*))?$/i.exec(value);
  const kind = scheme?.[1]?.toLowerCase();
  const address = scheme?.[2];
  if (kind === "memory" && address === undefined) return { kind: "memory" };
  if (kind === "nats-kv" && address === undefined) return { kind: "nats-kv" };
  if (kind === "etcd") {
    const hosts = address === undefined ? undefined : list(address);
    if (hosts !== undefined && hosts.length === 0) throw new ConfigError(`${source}: etcd:// needs host:port`);
    return { kind: "etcd", hosts };
  }
  if (kind === "consul") {
    if (address !== undefined && address.trim() === "") throw new ConfigError(`${source}: consul:// needs host:port`);
    return { kind: "consul", address: address?.trim() };
  }
  throw new ConfigError(`${source}: unknown registry ${JSON.stringify(text)}; expected ${REGISTRY_CHOICES}`);
}

/** NATS servers from `--nats` or `NATS_URL`: one URL or several separated by commas. */
export function parseNatsServers(text: string, source: string): string[] {
  const servers = list(text);
  if (servers.length === 0) throw new ConfigError(`${source}: no NATS server given`);
  for (const server of servers) {
    if (!/^(nats|tls|ws|wss):\/\/[^\s]+$/.test(server) && !/^[^\s:/]+(:\d+)?$/.test(server)) {
      throw new ConfigError(`${source}: ${JSON.stringify(server)} is not a NATS URL (nats://host:port)`);
    }
  }
  return servers;
}

export interface ConnectionSources {
  /** From the command line (`--nats`, `--registry`). */
  readonly natsFlag: string | undefined;
  readonly registryFlag: string | undefined;
  /** The environment (`NATS_URL`, `MQGEN_REGISTRY`). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface ConnectionSettings {
  /** NATS servers to connect to, when neither the code nor the settings gave none: undefined (in process). */
  readonly natsServers: readonly string[] | undefined;
  /** Where natsServers came from, for the log line. */
  readonly natsSource: string | undefined;
  readonly registry: RegistryChoice;
  readonly registrySource: string;
}

/**
 * The settings in effect when the code gave neither `nats` nor `registry` (each given option wins over the
 * command line, which wins over the environment). `haveNats` says the code passed a NATS option itself.
 */
export function connectionSettings(sources: ConnectionSources, haveNats: boolean): ConnectionSettings {
  let natsServers: string[] | undefined;
  let natsSource: string | undefined;
  if (!haveNats) {
    const envNats = sources.env["NATS_URL"];
    if (sources.natsFlag !== undefined) {
      natsServers = parseNatsServers(sources.natsFlag, "--nats");
      natsSource = "--nats";
    } else if (envNats !== undefined && envNats.trim() !== "") {
      natsServers = parseNatsServers(envNats, "NATS_URL");
      natsSource = "NATS_URL";
    }
  }
  const withNats = haveNats || natsServers !== undefined;
  const envRegistry = sources.env["MQGEN_REGISTRY"];
  let registry: RegistryChoice;
  let registrySource: string;
  if (sources.registryFlag !== undefined) {
    registry = parseRegistryChoice(sources.registryFlag, "--registry");
    registrySource = "--registry";
  } else if (envRegistry !== undefined && envRegistry.trim() !== "") {
    registry = parseRegistryChoice(envRegistry, "MQGEN_REGISTRY");
    registrySource = "MQGEN_REGISTRY";
  } else {
    registry = withNats ? { kind: "nats-kv" } : { kind: "memory" };
    registrySource = withNats ? "default with NATS" : "default without NATS";
  }
  if (registry.kind === "nats-kv" && !withNats) {
    throw new ConfigError(`${registrySource}: the nats-kv registry needs NATS; pass --nats nats://host:port or set NATS_URL`);
  }
  return { natsServers, natsSource, registry, registrySource };
}

export interface RegistryContext {
  readonly connection: NatsConnection | undefined;
  /** The register TTL: the NATS KV bucket's max age must match it. */
  readonly ttlMs: number;
  /** Where the choice came from (`--registry`, `default with NATS`…), for errors. */
  readonly source: string;
}

/** Creates the registry a choice names; the app owns (and closes) it. */
export async function createRegistry(choice: RegistryChoice, context: RegistryContext): Promise<Registry> {
  switch (choice.kind) {
    case "memory": {
      const { MemoryRegistry } = await import("../registry/memory.js");
      return new MemoryRegistry();
    }
    case "nats-kv": {
      if (context.connection === undefined) throw new ConfigError("the nats-kv registry needs a NATS connection");
      // Asked once here, so a server started without -js fails the start with a message naming the fix
      // instead of every registration failing later.
      try {
        await context.connection.jetstreamManager({ timeout: 5_000 });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new ConfigError(
          `registry nats-kv (${context.source}): JetStream is not available on ${context.connection.getServer()} (${reason}); ` +
            "start nats-server with -js, or choose another registry with --registry / MQGEN_REGISTRY",
          { cause: error },
        );
      }
      const { NatsKvRegistry } = await import("../registry/nats-kv.js");
      return new NatsKvRegistry({ connection: context.connection, ttlMs: context.ttlMs });
    }
    case "etcd": {
      const { EtcdRegistry } = await import("../registry/etcd.js");
      return new EtcdRegistry(choice.hosts === undefined ? {} : { hosts: choice.hosts });
    }
    case "consul": {
      const { ConsulRegistry } = await import("../registry/consul.js");
      return new ConsulRegistry(choice.address === undefined ? {} : { address: choice.address });
    }
  }
}

/** `nats-kv`, `etcd://a,b`…: how a choice reads in the start log line. */
export function describeRegistry(choice: RegistryChoice): string {
  switch (choice.kind) {
    case "memory":
    case "nats-kv":
      return choice.kind;
    case "etcd":
      return choice.hosts === undefined ? "etcd (127.0.0.1:2379)" : `etcd://${choice.hosts.join(",")}`;
    case "consul":
      return choice.address === undefined ? "consul" : `consul://${choice.address}`;
  }
}

/**
 * The app's NATS: the connection it was given (which stays the caller's), or one to the servers the option
 * or the settings name — waiting, like a node that starts before its registry, for a server that is not up
 * yet. Undefined when the app runs in process only.
 */
export async function openNats(
  option: AppOptions["nats"],
  settings: ConnectionSettings,
  processId: string,
  log: Logger,
): Promise<{ connection: NatsConnection; owned: boolean } | undefined> {
  const natsOption = option ?? (settings.natsServers === undefined ? undefined : { servers: [...settings.natsServers] });
  if (natsOption === undefined) return undefined;
  if (isNatsConnection(natsOption)) return { connection: natsJs(natsOption, "AppOptions.nats"), owned: false };
  const waiting = setTimeout(() => log.warn(`nats: waiting for ${String(natsOption.servers)} to accept connections`), 2000);
  try {
    const connection = await connectNats({ servers: natsOption.servers, reconnectTimeWaitMs: natsOption.reconnectTimeWaitMs, name: `mqgen ${processId}` });
    return { connection: natsJs(connection, "nats"), owned: true };
  } finally {
    clearTimeout(waiting);
  }
}

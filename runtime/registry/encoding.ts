/**
 * go-micro's registry encodings as mqant v1.5.3 uses them: Consul tags that carry metadata and version, the
 * JSON record stored in etcd (and in NATS KV), and Go's duration strings for Consul checks.
 */
import { createHash } from "node:crypto";
import { deflateSync, inflateSync } from "node:zlib";
import type { Service, ServiceNode } from "./types.js";

/**
 * Go's encoding/json escapes these three in strings by default; mqant's tags are built with json.Marshal,
 * so the decoded text only matches Go's when we escape them too.
 */
function goJsonStringify(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function compressHex(text: string): string {
  return deflateSync(Buffer.from(text, "utf8")).toString("hex");
}

function inflateHex(hex: string): string | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  try {
    return inflateSync(Buffer.from(hex, "hex")).toString("utf8");
  } catch {
    return undefined;
  }
}

/** One `t-<hex(zlib(json({k:v})))>` tag per metadata pair, keys in sorted order (Go's order is random). */
export function encodeMetadataTags(metadata: Readonly<Record<string, string>>): string[] {
  return Object.keys(metadata)
    .sort()
    .map((key) => "t-" + compressHex(goJsonStringify({ [key]: metadata[key] })));
}

export function encodeVersionTag(version: string): string {
  return "v-" + compressHex(version);
}

/**
 * Merges every metadata tag. Like go-micro, the first tag's encoding (`t-` compressed or legacy `t=` plain
 * JSON) decides which later tags are read, and tags that fail to decode are skipped.
 */
export function decodeMetadataTags(tags: readonly string[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  let encoding: string | undefined;
  for (const tag of tags) {
    if (tag.length < 2 || tag[0] !== "t") continue;
    const marker = tag[1];
    if (encoding !== undefined && marker !== encoding) continue;
    let json: string | undefined;
    if (marker === "=") json = tag.slice(2);
    else if (marker === "-") json = inflateHex(tag.slice(2));
    else continue;
    if (json === undefined) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      continue;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) continue;
    encoding = marker;
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof value === "string") metadata[key] = value;
    }
  }
  return metadata;
}

/** The version from the first `v-` (compressed) or legacy `v=` (plain) tag; undefined when none. */
export function decodeVersionTag(tags: readonly string[]): string | undefined {
  for (const tag of tags) {
    if (tag.length < 2 || tag[0] !== "v") continue;
    if (tag[1] === "=") return tag.slice(2);
    if (tag[1] === "-") {
      const version = inflateHex(tag.slice(2));
      if (version !== undefined) return version;
    }
  }
  return undefined;
}

/** Go's map[string]string marshals with sorted keys; a nil map is `null`. */
function sortedRecord(record: Readonly<Record<string, string>> | null): Record<string, string> | null {
  if (record === null) return null;
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key] as string;
  return out;
}

/**
 * The go-micro Service JSON mqant's etcd registry stores: `name, version, metadata, endpoints, nodes`, with
 * `endpoints` null because mqant registers none.
 */
export function encodeServiceRecord(service: Service): string {
  return goJsonStringify({
    name: service.name,
    version: service.version,
    metadata: sortedRecord(service.metadata),
    endpoints: null,
    nodes: service.nodes.map((node) => ({
      id: node.id,
      address: node.address,
      port: node.port,
      metadata: sortedRecord(node.metadata),
    })),
  });
}

function stringRecord(value: unknown): Record<string, string> | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (typeof item === "string") out[key] = item;
  }
  return out;
}

/** Reads a record written by mqant or by mqgen; undefined when the text is not a go-micro Service. */
export function decodeServiceRecord(text: string): Service | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== "object") return undefined;
  const raw = parsed as Record<string, unknown>;
  if (typeof raw.name !== "string") return undefined;
  const nodes: ServiceNode[] = [];
  if (Array.isArray(raw.nodes)) {
    for (const item of raw.nodes as unknown[]) {
      if (item === null || typeof item !== "object") continue;
      const node = item as Record<string, unknown>;
      if (typeof node.id !== "string") continue;
      nodes.push({
        id: node.id,
        address: typeof node.address === "string" ? node.address : "",
        port: typeof node.port === "number" ? node.port : 0,
        metadata: stringRecord(node.metadata) ?? {},
      });
    }
  }
  return {
    name: raw.name,
    version: typeof raw.version === "string" ? raw.version : "",
    metadata: stringRecord(raw.metadata),
    nodes,
  };
}

/** Stable digest of what a registry stores, to skip re-sending an unchanged record. */
export function serviceHash(service: Service): string {
  return createHash("sha256").update(encodeServiceRecord(service)).digest("hex");
}

/** Go's time.Duration.String() for whole milliseconds: "20s", "1m5s", "1.5s", "500ms", "1h0m0s". */
export function formatGoDuration(ms: number): string {
  const total = Math.round(ms);
  if (total === 0) return "0s";
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const millis = total % 60_000;
  const seconds = Math.floor(millis / 1000);
  const fraction = millis % 1000;
  const secondsText = fraction === 0 ? `${seconds}` : `${seconds}.${String(fraction).padStart(3, "0").replace(/0+$/, "")}`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}s`;
  if (minutes > 0) return `${minutes}m${secondsText}s`;
  return `${secondsText}s`;
}

/** Consul's DeregisterCriticalServiceAfter as mqant sets it: max(TTL, 1 min) + 5 s. */
export function deregisterCriticalAfterMs(ttlMs: number): number {
  return Math.max(ttlMs, 60_000) + 5_000;
}

/** go-micro replaces `/` in etcd key segments so a service or node id cannot add levels. */
export function etcdNodeKey(prefix: string, serviceName: string, nodeId: string): string {
  return `${prefix}${serviceName.replace(/\//g, "-")}/${nodeId.replace(/\//g, "-")}`;
}

/**
 * Registries that store one record per node (etcd, NATS KV) answer getService with one Service per version
 * holding all its nodes, as go-micro's registries do.
 */
export function groupByVersion(records: readonly Service[]): Service[] {
  const grouped = new Map<string, { service: Service; nodes: ServiceNode[] }>();
  for (const record of records) {
    const key = `${record.name}\u0000${record.version}`;
    let group = grouped.get(key);
    if (group === undefined) {
      group = { service: record, nodes: [] };
      grouped.set(key, group);
    }
    group.nodes.push(...record.nodes);
  }
  return [...grouped.values()]
    .filter((group) => group.nodes.length > 0)
    .map(({ service, nodes }) => ({ name: service.name, version: service.version, metadata: service.metadata, nodes }));
}

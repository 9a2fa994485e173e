/**
 * server.json in mqant's format (Settings, Module, Log, BI, OP, Rpc, Mqtt), parsed the way mqant's Go code
 * reads it (whole-line `//` comments dropped, keys matched case-insensitively like encoding/json) but
 * validated strictly: mqant silently ignores typos and wrong types, which is how its dead options stayed
 * unnoticed. Every error names the key path.
 */
import { readFileSync, existsSync } from "node:fs";
import { ConfigError } from "../errors.js";
import type { ModuleSettings } from "./types.js";
import type { LogConfig, LogFileConfig } from "../log/config.js";
import { BEEGO_ROTATION } from "../log/rotating-file.js";

export type { LogConfig, LogFileConfig };

export interface RpcConfig {
  /** Concurrency limit of every RegisterGO handler set of a module instance. */
  readonly maxCoroutine: number;
  /** Default call timeout in seconds. */
  readonly rpcExpired: number;
  /** Log every call and reply. */
  readonly log: boolean;
  /** A log line per successful call (mqant's sample key; its older versions logged `exec_time(...) success`). */
  readonly logSuccess: boolean;
  /** Calls that may wait for a free slot beyond maxCoroutine (mqgen extension; default 10 × maxCoroutine). */
  readonly maxQueue: number;
}

/**
 * The Mqtt section, used by every gate of the process; a key left out keeps the gate's own default.
 * Settings of the gate module and code options win over it.
 */
export interface MqttConfig {
  /** Packets waiting behind a socket that is not draining before the client is dropped (mqant's write queue). */
  readonly wirteLoopChanNum: number | undefined;
  /** Validated only: it sized mqant's queue between a connection's reader and its packet loop, which the gate has no counterpart of. */
  readonly readPackLoop: number | undefined;
  /** Keepalive, seconds, for a client whose CONNECT says 0 (mqant's fallback); 0 keeps the gate's MaxKeepalive. */
  readonly readTimeout: number | undefined;
  /** Seconds a socket may hold unsent bytes without any of them leaving before the client is dropped; 0 = off. */
  readonly writeTimeout: number | undefined;
}

export interface AppConfig {
  readonly settings: Readonly<Record<string, unknown>>;
  /** Module type → its entries, in file order. */
  readonly modules: Readonly<Record<string, readonly ModuleSettings[]>>;
  readonly log: LogConfig;
  /** BI section: where `app.biReport()` lines go (same shape as Log). */
  readonly bi: LogConfig;
  readonly rpc: RpcConfig;
  readonly mqtt: MqttConfig;
}

export const DEFAULT_MAX_COROUTINE = 100;
export const DEFAULT_RPC_EXPIRED_SECONDS = 10;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return String(value);
}

/** Go's encoding/json: an exact key match wins, else the first case-insensitive one. */
function pick(object: Json, key: string): { key: string; value: unknown } | undefined {
  if (Object.hasOwn(object, key)) return { key, value: object[key] };
  const lower = key.toLowerCase();
  for (const k of Object.keys(object)) if (k.toLowerCase() === lower) return { key: k, value: object[k] };
  return undefined;
}

function checkKnownKeys(object: Json, path: string, known: readonly string[]): void {
  const lowered = new Set(known.map((k) => k.toLowerCase()));
  for (const key of Object.keys(object)) {
    if (!lowered.has(key.toLowerCase())) {
      const where = path === "" ? key : `${path}.${key}`;
      throw new ConfigError(`${where}: unknown key (known: ${known.join(", ")})`);
    }
  }
}

function numberAt(object: Json, key: string, path: string, fallback: number, integer = true): number {
  const found = pick(object, key);
  if (found === undefined) return fallback;
  const value = found.value;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ConfigError(`${path}.${key}: expected a number, got ${describe(value)}`);
  }
  if (integer && !Number.isInteger(value)) {
    throw new ConfigError(`${path}.${key}: expected an integer, got ${value}`);
  }
  return value;
}

function booleanAt(object: Json, key: string, path: string, fallback: boolean): boolean {
  const found = pick(object, key);
  if (found === undefined) return fallback;
  if (typeof found.value !== "boolean") {
    throw new ConfigError(`${path}.${key}: expected true or false, got ${describe(found.value)}`);
  }
  return found.value;
}

function stringAt(object: Json, key: string, path: string): string | undefined {
  const found = pick(object, key);
  if (found === undefined) return undefined;
  if (typeof found.value !== "string") {
    throw new ConfigError(`${path}.${key}: expected a string, got ${describe(found.value)}`);
  }
  return found.value;
}

function objectAt(object: Json, key: string, path: string): Json | undefined {
  const found = pick(object, key);
  if (found === undefined || found.value === null) return undefined;
  if (!isObject(found.value)) {
    throw new ConfigError(`${path === "" ? "" : path + "."}${key}: expected an object, got ${describe(found.value)}`);
  }
  return found.value;
}

/** Drops whole-line `//` comments exactly as mqant's LoadConfig does (a `//` after a value is kept). */
export function stripLineComments(text: string): string {
  return text
    .split("\n")
    .map((line) => (line.trimStart().startsWith("//") ? "" : line))
    .join("\n");
}

const RPC_KEYS = ["MaxCoroutine", "RpcExpired", "Log", "LogSuccess", "MaxQueue"] as const;
const MQTT_KEYS = ["WirteLoopChanNum", "ReadPackLoop", "ReadTimeout", "WriteTimeout"] as const;
const MODULE_KEYS = ["Id", "Host", "ProcessID", "Settings"] as const;
const TOP_KEYS = ["Settings", "Module", "Log", "BI", "OP", "Rpc", "Mqtt"] as const;
const LOG_KEYS = ["contenttype", "console", "file", "multifile"] as const;
const LOG_FILE_KEYS = [
  "filename",
  "prefix",
  "suffix",
  "daily",
  "maxdays",
  "maxLines",
  "maxsize",
  "rotate",
  "perm",
  "level",
  "separate",
] as const;
const LOG_LEVELS = ["emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"];

function parseRpc(section: Json | undefined): RpcConfig {
  const rpc = section ?? {};
  checkKnownKeys(rpc, "Rpc", RPC_KEYS);
  const maxCoroutine = numberAt(rpc, "MaxCoroutine", "Rpc", DEFAULT_MAX_COROUTINE);
  if (maxCoroutine < 1) throw new ConfigError(`Rpc.MaxCoroutine: must be at least 1, got ${maxCoroutine}`);
  const rpcExpired = numberAt(rpc, "RpcExpired", "Rpc", DEFAULT_RPC_EXPIRED_SECONDS, false);
  if (rpcExpired <= 0) throw new ConfigError(`Rpc.RpcExpired: must be a positive number of seconds, got ${rpcExpired}`);
  const maxQueue = numberAt(rpc, "MaxQueue", "Rpc", maxCoroutine * 10);
  if (maxQueue < 0) throw new ConfigError(`Rpc.MaxQueue: must not be negative, got ${maxQueue}`);
  return {
    maxCoroutine,
    rpcExpired,
    log: booleanAt(rpc, "Log", "Rpc", false),
    logSuccess: booleanAt(rpc, "LogSuccess", "Rpc", false),
    maxQueue,
  };
}

function parseMqtt(section: Json | undefined): MqttConfig {
  const mqtt = section ?? {};
  checkKnownKeys(mqtt, "Mqtt", MQTT_KEYS);
  const at = (key: string, least: number): number | undefined => {
    if (pick(mqtt, key) === undefined) return undefined;
    const value = numberAt(mqtt, key, "Mqtt", 0);
    if (value < least) throw new ConfigError(`Mqtt.${key}: must be at least ${least}, got ${value}`);
    return value;
  };
  return {
    wirteLoopChanNum: at("WirteLoopChanNum", 1),
    readPackLoop: at("ReadPackLoop", 1),
    readTimeout: at("ReadTimeout", 0),
    writeTimeout: at("WriteTimeout", 0),
  };
}

/** beego's `perm`: an octal string ("0600"), as Go's strconv.ParseInt(perm, 8, 64) reads it. */
function permAt(section: Json, path: string): number {
  const text = stringAt(section, "perm", path);
  if (text === undefined) return BEEGO_ROTATION.perm;
  if (!/^0?[0-7]{3}$/.test(text)) throw new ConfigError(`${path}.perm: expected an octal file mode such as "0600", got ${JSON.stringify(text)}`);
  return Number.parseInt(text, 8);
}

function countAt(section: Json, key: string, path: string, fallback: number): number {
  const value = numberAt(section, key, path, fallback);
  if (value < 0) throw new ConfigError(`${path}.${key}: must not be negative, got ${value}`);
  return value;
}

function parseLogFile(section: Json, path: string, multifile: boolean): LogFileConfig {
  checkKnownKeys(section, path, LOG_FILE_KEYS);
  // mqant replaces beego's filename with <LogDir>/<prefix><ProcessID><suffix>, so a given one has no effect there either.
  stringAt(section, "filename", path);
  let level: string | undefined;
  const levelFound = pick(section, "level");
  if (levelFound !== undefined) {
    if (typeof levelFound.value === "number") level = LOG_LEVELS[levelFound.value];
    else if (typeof levelFound.value === "string") level = levelFound.value;
    if (level === undefined || !LOG_LEVELS.includes(level)) {
      throw new ConfigError(`${path}.level: expected one of ${LOG_LEVELS.join(", ")} (or 0-7), got ${describe(levelFound.value)}`);
    }
  }
  let separate: string[] = [];
  const sep = pick(section, "separate");
  if (sep !== undefined) {
    if (!multifile) throw new ConfigError(`${path}.separate: only the multifile adapter separates levels`);
    if (!Array.isArray(sep.value) || sep.value.some((v) => typeof v !== "string")) {
      throw new ConfigError(`${path}.separate: expected an array of level names, got ${describe(sep.value)}`);
    }
    separate = sep.value as string[];
    for (const [i, name] of separate.entries()) {
      if (!LOG_LEVELS.includes(name)) {
        throw new ConfigError(`${path}.separate[${i}]: unknown level ${JSON.stringify(name)} (known: ${LOG_LEVELS.join(", ")})`);
      }
    }
  }
  return {
    prefix: stringAt(section, "prefix", path) ?? "",
    suffix: stringAt(section, "suffix", path) ?? ".log",
    daily: booleanAt(section, "daily", path, BEEGO_ROTATION.daily),
    maxLines: countAt(section, "maxLines", path, BEEGO_ROTATION.maxLines),
    maxSize: countAt(section, "maxsize", path, BEEGO_ROTATION.maxSize),
    maxDays: countAt(section, "maxdays", path, BEEGO_ROTATION.maxDays),
    rotate: booleanAt(section, "rotate", path, BEEGO_ROTATION.rotate),
    perm: permAt(section, path),
    separate,
    level,
  };
}

/** The Log section, and the BI section that has the same shape (mqant's second, raw-line logger). */
function parseLog(section: Json | undefined, name = "Log"): LogConfig {
  const log = section ?? {};
  checkKnownKeys(log, name, LOG_KEYS);
  const contentType = stringAt(log, "contenttype", name);
  if (contentType !== undefined && contentType !== "application/json" && contentType !== "text/plain" && contentType !== "") {
    throw new ConfigError(`${name}.contenttype: expected "application/json" or "text/plain", got ${JSON.stringify(contentType)}`);
  }
  const multifile = objectAt(log, "multifile", name);
  const file = objectAt(log, "file", name);
  let fileConfig: LogFileConfig | undefined;
  // multifile is file plus per-level files; when both are given mqant writes both, we keep the richer one.
  if (multifile !== undefined) fileConfig = parseLogFile(multifile, `${name}.multifile`, true);
  if (file !== undefined) {
    const plain = parseLogFile(file, `${name}.file`, false);
    fileConfig ??= plain;
  }
  const consoleFound = pick(log, "console");
  if (consoleFound !== undefined && !isObject(consoleFound.value) && typeof consoleFound.value !== "boolean") {
    throw new ConfigError(`${name}.console: expected an object, got ${describe(consoleFound.value)}`);
  }
  return {
    json: contentType === "application/json",
    file: fileConfig,
    console: consoleFound !== undefined && consoleFound.value !== false,
  };
}

function parseModules(section: Json | undefined): Record<string, ModuleSettings[]> {
  const modules: Record<string, ModuleSettings[]> = {};
  if (section === undefined) return modules;
  const seenIds = new Map<string, string>();
  for (const [type, entries] of Object.entries(section)) {
    const base = `Module.${type}`;
    if (!Array.isArray(entries)) throw new ConfigError(`${base}: expected an array of module entries, got ${describe(entries)}`);
    const list: ModuleSettings[] = [];
    const seenProcess = new Map<string, number>();
    entries.forEach((entry: unknown, index) => {
      const path = `${base}[${index}]`;
      if (!isObject(entry)) throw new ConfigError(`${path}: expected an object, got ${describe(entry)}`);
      checkKnownKeys(entry, path, MODULE_KEYS);
      const id = stringAt(entry, "Id", path);
      if (id === undefined || id === "") throw new ConfigError(`${path}.Id: missing (every module entry needs a unique Id)`);
      const processId = stringAt(entry, "ProcessID", path);
      if (processId === undefined || processId === "") {
        throw new ConfigError(`${path}.ProcessID: missing (the process group that runs this entry, e.g. "development")`);
      }
      stringAt(entry, "Host", path);
      const settings = objectAt(entry, "Settings", path) ?? {};
      const previous = seenIds.get(id);
      if (previous !== undefined) throw new ConfigError(`${path}.Id: duplicate id ${JSON.stringify(id)} (also ${previous})`);
      seenIds.set(id, path);
      const sameProcess = seenProcess.get(processId);
      if (sameProcess !== undefined) {
        throw new ConfigError(
          `${path}.ProcessID: ${JSON.stringify(processId)} already runs ${base}[${sameProcess}] (one instance of a module type per process)`,
        );
      }
      seenProcess.set(processId, index);
      list.push({ id, processId, settings });
    });
    modules[type] = list;
  }
  return modules;
}

/** Validates an already parsed server.json object. */
export function parseConfig(raw: unknown): AppConfig {
  if (!isObject(raw)) throw new ConfigError(`config: expected a JSON object at the top level, got ${describe(raw)}`);
  checkKnownKeys(raw, "", TOP_KEYS);
  return {
    settings: objectAt(raw, "Settings", "") ?? {},
    modules: parseModules(objectAt(raw, "Module", "")),
    log: parseLog(objectAt(raw, "Log", "")),
    bi: parseLog(objectAt(raw, "BI", ""), "BI"),
    rpc: parseRpc(objectAt(raw, "Rpc", "")),
    mqtt: parseMqtt(objectAt(raw, "Mqtt", "")),
  };
}

export function parseConfigText(text: string, source = "server.json"): AppConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(stripLineComments(text));
  } catch (err) {
    throw new ConfigError(`${source}: not valid JSON after removing // comment lines: ${(err as Error).message}`, { cause: err });
  }
  return parseConfig(raw);
}

export function loadConfigFile(path: string): AppConfig {
  if (!existsSync(path)) throw new ConfigError(`config path error: ${path} does not exist`);
  return parseConfigText(readFileSync(path, "utf8"), path);
}

/** The embedded default: every given module runs once in this process. */
export function defaultConfig(moduleTypes: readonly string[], processId: string): AppConfig {
  const modules: Record<string, ModuleSettings[]> = {};
  for (const type of moduleTypes) modules[type] = [{ id: type, processId, settings: {} }];
  return { ...parseConfig({}), modules };
}

/**
 * Identifiers in mqant's formats: call ids are uuid v4 strings (mqant `utils/uuid`), node, session,
 * trace and span ids are 16 lower-case hex digits (mqant `GenerateID`), node ids are `<type>@<16 hex>`.
 * Browser-safe: Web Crypto only. NATS inbox subjects come from nats.js `createInbox()`, not from here.
 */
import { BadArgumentError } from "../errors.js";

const HEX = "0123456789abcdef";

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  return bytes;
}

function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += HEX[byte >> 4] + HEX[byte & 15];
  return out;
}

/** A uuid v4 (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`), the format of mqant's RPCInfo.Cid. */
export function newCid(): string {
  const randomUUID = globalThis.crypto.randomUUID as (() => string) | undefined;
  // randomUUID is missing in browsers on insecure origins; build the same layout by hand there.
  if (typeof randomUUID === "function") return randomUUID.call(globalThis.crypto);
  const bytes = randomBytes(16);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** 16 lower-case hex digits, as mqant's GenerateID. */
export function newId16(): string {
  return toHex(randomBytes(8));
}

/** `<type>@<16 hex>`, the node id mqant registers (also the Consul service ID). */
export function newNodeId(moduleType: string): string {
  return `${moduleType}@${newId16()}`;
}

export interface ParsedNodeId {
  readonly moduleType: string;
  readonly id: string;
}

/** Splits `<type>@<id>` at the last `@`; throws BadArgumentError when there is none. */
export function parseNodeId(nodeId: string): ParsedNodeId {
  const at = nodeId.lastIndexOf("@");
  if (at <= 0 || at === nodeId.length - 1) throw new BadArgumentError(`serverID is error ${nodeId}`);
  return { moduleType: nodeId.slice(0, at), id: nodeId.slice(at + 1) };
}

const ID16 = /^[0-9a-f]{16}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isId16(value: string): boolean {
  return ID16.test(value);
}

export function isCid(value: string): boolean {
  return UUID.test(value);
}

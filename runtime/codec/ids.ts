/**
 * Identifiers in mqant's formats: node, session, trace and span ids are 16 lower-case hex digits (mqant
 * `GenerateID`), node ids are `<type>@<16 hex>`. Call ids (Cids) are mqgen's own short format, see newCid().
 * Browser-safe: Web Crypto only. NATS inbox subjects come from nats.js `createInbox()`, not from here.
 */
import { BadArgumentError } from "../errors.js";

const HEX = "0123456789abcdef";
const BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";

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

/**
 * Length of the random part of a Cid, before the `-`: with it, the Cids of a process's first 60 million
 * calls stay within 12 characters, which V8 keeps as one flat string instead of a concatenation.
 */
const CID_PREFIX_LENGTH = 6;

function randomBase36(length: number): string {
  let out = "";
  // 252 = 7 × 36: bytes above it are dropped so every digit is equally likely.
  while (out.length < length) {
    for (const byte of randomBytes(length)) if (byte < 252 && out.length < length) out += BASE36[byte % 36];
  }
  return out;
}

/** This process's Cid prefix: random, so Cids of different processes and runs differ in logs. */
const CID_PREFIX = `${randomBase36(CID_PREFIX_LENGTH)}-`;
let cidSeq = 0;

/**
 * A call id: this process's random prefix, `-`, then a call counter in base 36 (`k3f9a2-1z`). mqant
 * callers send uuid v4s, but a Cid only has to tell apart the calls waiting on one caller's reply subject
 * (a Go server echoes it, a Go caller matches replies by it in its own map): a counter does that, in
 * about a quarter of a uuid's bytes on every request and reply, without a random draw per call.
 */
export function newCid(): string {
  return CID_PREFIX + (++cidSeq).toString(36);
}

/**
 * The counter of a Cid this process made (newCid()), or -1 for any other Cid. Callers key their pending
 * calls by it: a small integer hashes and compares far cheaper than a string, on every call.
 */
export function cidNumber(cid: string): number {
  const length = cid.length;
  // Up to 10 base-36 digits stay exact in a double (36^10 < 2^53), far beyond any process's call count.
  if (length <= CID_PREFIX.length || length > CID_PREFIX.length + 10 || !cid.startsWith(CID_PREFIX)) return -1;
  let value = 0;
  for (let i = CID_PREFIX.length; i < length; i++) {
    const code = cid.charCodeAt(i);
    const digit = code >= 0x30 && code <= 0x39 ? code - 0x30 : code >= 0x61 && code <= 0x7a ? code - 0x57 : -1;
    if (digit < 0) return -1;
    value = value * 36 + digit;
  }
  // newCid() never writes a leading zero, so "…-01" is not the Cid of call 1.
  return cid.charCodeAt(CID_PREFIX.length) === 0x30 ? -1 : value;
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
const CID = new RegExp(`^[0-9a-z]{${CID_PREFIX_LENGTH}}-[1-9a-z][0-9a-z]*$`);

export function isId16(value: string): boolean {
  return ID16.test(value);
}

/** A Cid in mqgen's format (newCid()); Cids from other callers (Go's uuids) are any string. */
export function isCid(value: string): boolean {
  return CID.test(value);
}

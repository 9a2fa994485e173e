/**
 * The gate-side state of one client session: mqant's `sessionImp`, owned and mutated by the gate;
 * backends see copies of it as the `SESSION` argument.
 */
import { randomFillSync } from "node:crypto";
import type { SessionData } from "../codec/session.js";

export type GateSessionData = SessionData;

/** 16 lower-case hex digits, the id format mqant uses for sessions, traces and spans. */
export function generateId(): string {
  // Drawn from a pool refilled 512 ids at a time: the gate makes a span id for every routed request, and one
  // CSPRNG call per id showed in the busy-connection profile.
  if (poolOffset + 8 > idPool.length) {
    randomFillSync(idPool);
    poolOffset = 0;
  }
  const id = idPool.toString("hex", poolOffset, poolOffset + 8);
  poolOffset += 8;
  return id;
}

const idPool = Buffer.allocUnsafe(4096);
let poolOffset = idPool.length;

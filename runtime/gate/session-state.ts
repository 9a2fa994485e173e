/**
 * The gate-side state of one client session: mqant's `sessionImp`, owned and mutated by the gate;
 * backends see copies of it as the `SESSION` argument.
 */
import { randomBytes } from "node:crypto";
import type { SessionData } from "../codec/session.js";

export type GateSessionData = SessionData;

/** 16 lower-case hex digits, the id format mqant uses for sessions, traces and spans. */
export function generateId(): string {
  return randomBytes(8).toString("hex");
}

/**
 * The module the discovery tests and the benchmark run in several OS processes: `who` answers with the
 * serving node's id (retry-safe), `whoOnce` the same but not marked retry-safe.
 */
import type { HandlerDescriptor, ModuleDescriptor } from "../../runtime/internal.js";
import { int32Codec, stringCodec } from "../../runtime/internal.js";

type Who = HandlerDescriptor<[delayMs: number], string>;

const who: Who = {
  method: "who",
  wireName: "/echo/who",
  mode: "concurrent",
  gate: false,
  params: [{ name: "delayMs", codec: int32Codec }],
  result: stringCodec,
  retrySafe: true,
  hash: "echo-who-v1",
};

const whoOnce: Who = { ...who, method: "whoOnce", wireName: "/echo/whoOnce", retrySafe: false, hash: "echo-who-once-v1" };

export const echoModule: ModuleDescriptor & { readonly handlers: { readonly who: Who; readonly whoOnce: Who } } = {
  type: "echo",
  version: "1.0.0",
  schemaHash: "echo-schema-v1",
  handlers: { who, whoOnce },
  pushes: {},
};

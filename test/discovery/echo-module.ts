/**
 * The module the discovery tests and the benchmark run in several OS processes: `who` answers with the
 * serving node's id (retry-safe), `whoOnce` the same but not marked retry-safe.
 */
import type { HandlerDescriptor, ModuleDescriptor } from "../../runtime/internal.js";
import { int32Codec, stringCodec } from "../../runtime/internal.js";

const who: HandlerDescriptor = {
  method: "who",
  wireName: "/echo/who",
  mode: "concurrent",
  gate: false,
  params: [{ name: "delayMs", codec: int32Codec as HandlerDescriptor["params"][number]["codec"] }],
  result: stringCodec as HandlerDescriptor["result"],
  retrySafe: true,
  hash: "echo-who-v1",
};

const whoOnce: HandlerDescriptor = { ...who, method: "whoOnce", wireName: "/echo/whoOnce", retrySafe: false, hash: "echo-who-once-v1" };

export const echoModule: ModuleDescriptor = {
  type: "echo",
  version: "1.0.0",
  schemaHash: "echo-schema-v1",
  handlers: { who, whoOnce },
  pushes: {},
};

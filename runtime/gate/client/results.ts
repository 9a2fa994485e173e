/**
 * A gate reply's JSON `Result` as a typed handler's enum result. The gate writes an enum result as the int32
 * number Go's encoding/json writes for it; anything else (a gate that is not mqgen's, a mismatched schema) is
 * a ProtocolError naming what arrived, instead of a value of the wrong type handed to the caller.
 */
import { ProtocolError } from "../../errors.js";
import type { EnumType } from "../../descriptor.js";
import { describeJson } from "../../codec/value-json.js";

export function enumResult<E extends number>(type: EnumType<E>, result: unknown): E {
  if (typeof result !== "number" || !Number.isInteger(result) || result < -0x80000000 || result > 0x7fffffff) {
    throw new ProtocolError(`gate reply: expected ${type.typeName} as an int32 number, got ${result === undefined ? "nothing" : describeJson(result)}`);
  }
  // Enums are open (as protobuf's are): every int32 is a value of E, named or not.
  return result as E;
}

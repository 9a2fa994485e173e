/**
 * PUBACK, PUBREC and PUBCOMP from a client: each only answers a QoS 1 or 2 down-link, and the gate sends
 * QoS 0 only, so there is nothing to release: ignored, as in mqant. One handler for the three, as Aedes'
 * `lib/handlers/` does.
 */
import type { IPubackPacket, IPubcompPacket, IPubrecPacket } from "mqtt-packet";
import type { Connection } from "../connection.js";

export function handleAck(_connection: Connection, _packet: IPubackPacket | IPubrecPacket | IPubcompPacket): void {}

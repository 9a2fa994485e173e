/** PUBACK from a client: the gate only sends QoS 0, so there is nothing to release; ignored as in mqant. */
import type { IPubackPacket } from "mqtt-packet";
import type { Connection } from "../connection.js";

export function handlePuback(_connection: Connection, _packet: IPubackPacket): void {}

/** PUBREC from a client: only answers a QoS 2 down-link, which the gate never sends; ignored. */
import type { IPubrecPacket } from "mqtt-packet";
import type { Connection } from "../connection.js";

export function handlePubrec(_connection: Connection, _packet: IPubrecPacket): void {}

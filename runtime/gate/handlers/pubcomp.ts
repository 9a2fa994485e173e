/** PUBCOMP from a client: answers a QoS 2 down-link, which the gate never sends; ignored. */
import type { IPubcompPacket } from "mqtt-packet";
import type { Connection } from "../connection.js";

export function handlePubcomp(_connection: Connection, _packet: IPubcompPacket): void {}

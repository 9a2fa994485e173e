/** PINGREQ → PINGRESP; any packet already counts as keepalive activity. */
import type { IPingreqPacket } from "mqtt-packet";
import type { Connection } from "../connection.js";
import { pingresp } from "../packets.js";

export function handlePingreq(connection: Connection, _packet: IPingreqPacket): void {
  connection.write(pingresp());
}

/** PUBREL completes a client's QoS 2 publish: answered with PUBCOMP (the message was dispatched on PUBLISH). */
import type { IPubrelPacket } from "mqtt-packet";
import type { Connection } from "../connection.js";
import { pubcomp } from "../packets.js";

export function handlePubrel(connection: Connection, packet: IPubrelPacket): void {
  if (packet.messageId !== undefined) connection.write(pubcomp(packet.messageId));
}

/** PUBREL completes a client's QoS 2 publish: answered with PUBCOMP (the message was routed on PUBLISH). */
import type { IPubrelPacket } from "mqtt-packet";
import type { Connection } from "../connection.js";
import { pubcomp } from "../packets.js";

export function handlePubrel(connection: Connection, packet: IPubrelPacket): void {
  if (packet.messageId === undefined) return;
  connection.qos2AwaitingRelease?.delete(packet.messageId);
  connection.write(pubcomp(packet.messageId));
}

/**
 * PUBLISH from a client: acknowledged per QoS (PUBACK for 1, PUBREC for 2) before the message is routed, as
 * mqant does; QoS 2 is dispatched at once rather than on PUBREL (no exactly-once store, as in mqant).
 */
import type { IPublishPacket } from "mqtt-packet";
import type { Connection } from "../connection.js";
import { puback, pubrec } from "../packets.js";

const EMPTY = Buffer.alloc(0);

export function handlePublish(connection: Connection, packet: IPublishPacket): void {
  if (packet.qos === 1 && packet.messageId !== undefined) connection.write(puback(packet.messageId));
  else if (packet.qos === 2 && packet.messageId !== undefined) connection.write(pubrec(packet.messageId));
  if (connection.closed) return;
  const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : (packet.payload ?? EMPTY);
  connection.host.route(connection, packet.topic, payload);
}

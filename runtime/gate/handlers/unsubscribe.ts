/** UNSUBSCRIBE: nothing to remove (subscriptions route nothing); UNSUBACK as in mqant. */
import type { IUnsubscribePacket } from "mqtt-packet";
import type { Connection } from "../connection.js";
import { unsuback } from "../packets.js";

export function handleUnsubscribe(connection: Connection, packet: IUnsubscribePacket): void {
  connection.write(unsuback(packet.messageId ?? 0));
}

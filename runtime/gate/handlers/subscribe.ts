/**
 * SUBSCRIBE: the gate pushes to a connection whatever its subscriptions (as mqant), so a subscription
 * routes nothing; but every SUBSCRIBE gets one SUBACK with a code per entry, which clients wait for.
 * mqant answers only QoS 2 entries (one SUBACK each) and leaves MQTT.js waiting forever on QoS 0/1.
 * Granted QoS is 0 because down-link messages are QoS 0; an invalid filter gets 0x80 (failure).
 */
import type { ISubscribePacket } from "mqtt-packet";
import type { Connection } from "../connection.js";
import { suback } from "../packets.js";

const FAILURE = 0x80;

export function isValidTopicFilter(filter: string, maxLength: number): boolean {
  if (filter.length === 0 || Buffer.byteLength(filter) > maxLength || filter.includes("\u0000")) return false;
  const levels = filter.split("/");
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level.includes("#") && (level !== "#" || i !== levels.length - 1)) return false;
    if (level.includes("+") && level !== "+") return false;
  }
  return true;
}

export function handleSubscribe(connection: Connection, packet: ISubscribePacket): void {
  const maxLength = connection.host.options.maxTopicLength;
  const granted = packet.subscriptions.map((subscription) => (isValidTopicFilter(subscription.topic, maxLength) ? 0 : FAILURE));
  connection.write(suback(packet.messageId ?? 0, granted));
}

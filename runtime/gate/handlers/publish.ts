/**
 * PUBLISH from a client: acknowledged per QoS (PUBACK for 1, PUBREC for 2) in the same turn of the event
 * loop, after its backend request is out and before any answer (mqant writes the ack before routing; the
 * client sees the same packets in the same order). QoS 2 is routed on PUBLISH (MQTT 3.1.1 §4.3.3 method B)
 * and its packet id held until PUBREL, so a resend on the same connection is acknowledged but not routed
 * again; mqant routes every copy. Nothing is kept across connections (sessions are clean, as in mqant).
 * A topic with wildcards or NUL, empty, or longer than maxTopicLength is a protocol violation
 * (MQTT 3.1.1 §4.7.3) and closes the connection; mqant routes whatever arrives.
 */
import type { IPublishPacket } from "mqtt-packet";
import type { Connection } from "../connection.js";
import { puback, pubrec } from "../packets.js";

const EMPTY = Buffer.alloc(0);

/**
 * QoS 2 publishes a connection may leave awaiting PUBREL. A client answers PUBREC with PUBREL at once; one that
 * never does would otherwise grow the set to all 65,535 packet ids (over a megabyte per connection).
 */
export const MAX_QOS2_AWAITING_RELEASE = 1024;

export function isValidTopicName(topic: string, maxLength: number): boolean {
  if (topic.length === 0 || topic.length > maxLength) return false;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 0x23 || c === 0x2b || c === 0) return false;
  }
  return Buffer.byteLength(topic) <= maxLength;
}

export function handlePublish(connection: Connection, packet: IPublishPacket): void {
  if (!isValidTopicName(packet.topic, connection.host.options.maxTopicLength)) {
    connection.destroy("invalid PUBLISH topic");
    return;
  }
  // Acks are queued, not written: the backend request leaves first (a PUBACK written now would wake the
  // client, on a busy machine ahead of the request), and an answer ready in this turn shares their write.
  if (packet.qos === 1 && packet.messageId !== undefined) {
    connection.enqueue(puback(packet.messageId));
  } else if (packet.qos === 2 && packet.messageId !== undefined) {
    const awaiting = (connection.qos2AwaitingRelease ??= new Set());
    const resend = awaiting.has(packet.messageId);
    if (!resend && awaiting.size >= MAX_QOS2_AWAITING_RELEASE) {
      connection.destroy(`more than ${MAX_QOS2_AWAITING_RELEASE} QoS 2 publishes awaiting PUBREL`);
      return;
    }
    awaiting.add(packet.messageId);
    connection.enqueue(pubrec(packet.messageId));
    if (resend) return;
  }
  if (connection.closed) return;
  const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : (packet.payload ?? EMPTY);
  connection.host.route(connection, packet.topic, payload);
}

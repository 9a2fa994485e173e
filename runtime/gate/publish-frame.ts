/**
 * A client's PUBLISH frame read without mqtt-packet: on the gate's hot path (every request is one), where its
 * generic state machine, buffer list and debug calls cost about a quarter of the gate's work between the
 * socket read and the backend request. Only a well-formed MQTT 3.1/3.1.1 PUBLISH is read here, into the same
 * fields mqtt-packet gives (test/gate/publish-frame.test.ts compares the two on generated and seed frames, and
 * fails the day mqtt-packet reads one differently); anything else returns undefined and goes to mqtt-packet,
 * so its checks and error texts stay the gate's.
 */
import type { IPublishPacket, QoS } from "mqtt-packet";

const PUBLISH = 3;

/** The frame is one whole packet (the connection cut it after checking its fixed header). */
export function readPublishFrame(frame: Buffer): IPublishPacket | undefined {
  const first = frame[0] as number;
  if (first >> 4 !== PUBLISH) return undefined;
  const qosBits = (first >> 1) & 3;
  if (qosBits === 3) return undefined;
  const qos = qosBits as QoS;
  let offset = 1;
  let length = 0;
  let multiplier = 1;
  for (;;) {
    if (offset >= frame.length || offset > 4) return undefined;
    const byte = frame[offset++] as number;
    length += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) break;
    multiplier *= 128;
  }
  if (offset + length !== frame.length || length < 2) return undefined;
  const topicEnd = offset + 2 + ((frame[offset] as number) << 8 | (frame[offset + 1] as number));
  const payloadAt = qos > 0 ? topicEnd + 2 : topicEnd;
  if (payloadAt > frame.length) return undefined;
  const packet: IPublishPacket = {
    cmd: "publish",
    retain: (first & 1) !== 0,
    qos,
    dup: (first & 8) !== 0,
    length,
    topic: frame.toString("utf8", offset + 2, topicEnd),
    payload: frame.subarray(payloadAt),
  };
  if (qos > 0) packet.messageId = ((frame[topicEnd] as number) << 8) | (frame[topicEnd + 1] as number);
  return packet;
}

/**
 * Turns complete MQTT frames into packets with mqtt-packet (a well-formed PUBLISH, the hot path, is read by
 * publish-frame.ts instead). The connection cuts frames itself (after checking the fixed header), so the
 * parser only ever sees one whole frame and never buffers.
 */
import mqttPacket from "mqtt-packet";
import type { Packet, Parser } from "mqtt-packet";
import { readPublishFrame } from "./publish-frame.js";

export type ParseResult = { readonly ok: true; readonly packet: Packet } | { readonly ok: false; readonly reason: string };

interface FrameParser {
  parser: Parser;
  result: ParseResult | undefined;
}

function createFrameParser(protocolVersion: number): FrameParser {
  const state: FrameParser = { parser: mqttPacket.parser({ protocolVersion }), result: undefined };
  state.parser.on("packet", (packet: Packet) => {
    state.result = { ok: true, packet };
  });
  state.parser.on("error", (error: unknown) => {
    state.result = { ok: false, reason: error instanceof Error ? error.message : String(error) };
  });
  return state;
}

/**
 * Packets after CONNECT parse the same for MQTT 3.1 and 3.1.1, so one parser serves every connection (its
 * per-connection cost would otherwise dominate an idle connection's memory). A CONNECT gets a fresh parser
 * because mqtt-packet stores the CONNECT as its settings.
 */
let shared: FrameParser = createFrameParser(4);

function run(state: FrameParser, frame: Buffer): { result: ParseResult; leftover: number } {
  state.result = undefined;
  const leftover = state.parser.parse(frame);
  const result: ParseResult = (state.result as ParseResult | undefined) ?? { ok: false, reason: "incomplete packet" };
  state.result = undefined;
  return { result, leftover };
}

export function parseConnectFrame(frame: Buffer): ParseResult {
  const { result, leftover } = run(createFrameParser(4), frame);
  if (result.ok && leftover > 0) return { ok: false, reason: "trailing bytes after CONNECT" };
  return result;
}

export function parseFrame(frame: Buffer): ParseResult {
  const publish = readPublishFrame(frame);
  if (publish !== undefined) return { ok: true, packet: publish };
  const { result, leftover } = run(shared, frame);
  if (!result.ok || leftover > 0) {
    // The parser may hold a half-read packet now; start the next frame from a clean one.
    shared = createFrameParser(4);
    if (result.ok) return { ok: false, reason: `trailing bytes after ${result.packet.cmd}` };
  }
  return result;
}

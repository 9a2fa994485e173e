/**
 * DISCONNECT: the client is done, so the gate closes the socket (MQTT 3.1.1 §3.14.4). mqant ignores it and
 * waits for the client to close, which leaves half-dead sockets behind clients that never do.
 */
import type { IDisconnectPacket } from "mqtt-packet";
import type { Connection } from "../connection.js";

export function handleDisconnect(connection: Connection, _packet: IDisconnectPacket): void {
  connection.end("DISCONNECT from client");
}

/**
 * CONNECT: protocol and client-id checks, then the auth hook decides the CONNACK. A second CONNECT on a
 * connection is a protocol error (MQTT 3.1.1 §3.1.0-2) and closes it; mqant answers it again instead.
 */
import type { IConnectPacket } from "mqtt-packet";
import type { Connection } from "../connection.js";
import { ConnackCode, type ConnectInfo } from "../options.js";
import { connack } from "../packets.js";
import { generateId, type GateSessionData } from "../session-state.js";

/** mqant accepts 1..64 characters; MQTT 3.1.1 requires servers to allow at least 23. */
const MAX_CLIENT_ID_LENGTH = 64;

/** MQTT 3.1.1 §3.2.2.3 defines return codes 0..5; anything else would be an invalid CONNACK on the wire. */
function isConnackCode(code: unknown): code is number {
  return typeof code === "number" && Number.isInteger(code) && code >= ConnackCode.accepted && code <= ConnackCode.notAuthorized;
}

function refuse(connection: Connection, code: number, reason: string): void {
  connection.write(connack(code));
  connection.end(reason);
}

export function handleConnect(connection: Connection, packet: IConnectPacket): void {
  if (connection.state !== "awaiting-connect") {
    connection.destroy("second CONNECT (protocol error)");
    return;
  }
  const level = packet.protocolVersion ?? 4;
  const supported = (packet.protocolId === "MQTT" && level === 4) || (packet.protocolId === "MQIsdp" && level === 3);
  if (!supported) {
    refuse(connection, ConnackCode.unacceptableProtocolVersion, `unsupported protocol ${packet.protocolId} level ${level}`);
    return;
  }
  let clientId = packet.clientId ?? "";
  const clean = packet.clean ?? true;
  if (clientId === "") {
    // MQTT 3.1.1 §3.1.3-7/8: an empty id needs a clean session and gets a server-assigned one; 3.1 forbids it.
    // mqant closes without any CONNACK instead.
    if (!clean || level === 3) {
      refuse(connection, ConnackCode.identifierRejected, "empty client id without clean session");
      return;
    }
    clientId = `mqgen-${generateId()}`;
  }
  if (clientId.length > MAX_CLIENT_ID_LENGTH) {
    refuse(connection, ConnackCode.identifierRejected, `client id longer than ${MAX_CLIENT_ID_LENGTH}`);
    return;
  }
  connection.clientId = clientId;
  connection.beginAuthentication();
  const transport = connection.transport;
  const info: ConnectInfo = {
    clientId,
    username: packet.username,
    password: packet.password,
    protocolVersion: level,
    keepalive: packet.keepalive ?? 0,
    clean,
    ip: transport.ip,
    network: transport.network,
  };
  const finish = (decided: number): void => {
    if (connection.closed) return;
    const code = isConnackCode(decided) ? decided : ConnackCode.notAuthorized;
    if (code !== decided) {
      connection.host.log.warn({ clientId, code: decided }, "gate auth hook returned no CONNACK code (0..5); refusing as not authorized");
    }
    if (code !== ConnackCode.accepted) {
      refuse(connection, code, `refused with CONNACK return code ${code}`);
      return;
    }
    connection.write(connack(ConnackCode.accepted));
    const settings: Record<string, string> = {};
    if (transport.userAgent !== undefined) settings["User-Agent"] = transport.userAgent;
    const session: GateSessionData = {
      ip: transport.ip,
      network: transport.network,
      userId: "",
      sessionId: generateId(),
      serverId: connection.host.nodeId,
      traceId: generateId(),
      spanId: generateId(),
      settings,
      carrier: {},
      topic: "",
    };
    connection.accept(session, info.keepalive);
  };
  let decision: number | Promise<number>;
  try {
    decision = connection.host.authenticate(info);
  } catch (error) {
    connection.host.log.warn({ err: error, clientId }, "gate auth hook threw; refusing the connection");
    finish(ConnackCode.serverUnavailable);
    return;
  }
  if (typeof decision === "number") {
    finish(decision);
    return;
  }
  // Through Promise.resolve: a hook written in JavaScript may answer anything, and finish() refuses what is
  // not a CONNACK code.
  Promise.resolve(decision).then(finish, (error: unknown) => {
    connection.host.log.warn({ err: error, clientId }, "gate auth hook failed; refusing the connection");
    finish(ConnackCode.serverUnavailable);
  });
}

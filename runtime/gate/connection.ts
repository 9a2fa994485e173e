/**
 * One client connection: checks each fixed header before buffering (first packet CONNECT, size cap),
 * cuts whole frames for the parser, dispatches packets to one handler per packet type, caps unsent bytes,
 * and runs the CONNECT and keepalive timers.
 */
import type { GateObserver } from "../observe/hooks.js";
import type { Packet } from "mqtt-packet";
import { parseConnectFrame, parseFrame } from "./framing.js";
import { PacketType, publishQos0, readFixedHeader } from "./packets.js";
import type { ConnectInfo, ResolvedGateOptions } from "./options.js";
import type { GateSessionData } from "./session-state.js";
import { handleConnect } from "./handlers/connect.js";
import { handlePublish } from "./handlers/publish.js";
import { handleAck } from "./handlers/ack.js";
import { handlePubrel } from "./handlers/pubrel.js";
import { handleSubscribe } from "./handlers/subscribe.js";
import { handleUnsubscribe } from "./handlers/unsubscribe.js";
import { handlePingreq } from "./handlers/pingreq.js";
import { handleDisconnect } from "./handlers/disconnect.js";

/** A byte stream to one client: a TCP (or TLS) socket, or a WebSocket carrying MQTT as a stream. */
export interface ConnectionTransport {
  readonly network: "tcp" | "websocket";
  /** mqant's session IP: `host:port` for TCP, the client address for WebSocket. */
  readonly ip: string;
  readonly userAgent: string | undefined;
  write(bytes: Buffer): void;
  /** Several packets in one go: one syscall for a TCP socket (cork/uncork → writev), the buffers not copied. */
  writeMany(packets: readonly Buffer[]): void;
  /** Bytes accepted by `write` but not yet handed to the kernel. */
  readonly unsentBytes: number;
  /** Flushes what was written, then closes. */
  end(): void;
  /** Closes at once, dropping unsent bytes. */
  destroy(): void;
}

export interface GateLog {
  debug(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** What a connection needs from its gate. */
export interface ConnectionHost {
  readonly options: ResolvedGateOptions;
  /** Publish counters (runtime/ops), when attached. */
  readonly observer?: GateObserver | undefined;
  readonly nodeId: string;
  readonly log: GateLog;
  authenticate(info: ConnectInfo): number | Promise<number>;
  /** The CONNECT was accepted and the CONNACK written. */
  connectionOpened(connection: Connection): void;
  /** Called once for every connection when it closes; `opened` says whether its CONNECT was accepted. */
  connectionClosed(connection: Connection, opened: boolean): void;
  /** A PUBLISH from the client. */
  route(connection: Connection, topic: string, payload: Buffer): void;
  /** A bound session processed a packet (paces StorageHandler.heartbeat). */
  activity(connection: Connection): void;
  /** The connection has queued packets: call its `flush()` once, later in this turn of the event loop. */
  scheduleFlush(connection: Connection): void;
}

export type ConnectionState = "awaiting-connect" | "authenticating" | "connected" | "closed";

/** Packets that may arrive while the auth hook decides; more closes the connection. */
const MAX_PACKETS_DURING_AUTH = 32;

export class Connection {
  readonly host: ConnectionHost;
  readonly transport: ConnectionTransport;
  state: ConnectionState = "awaiting-connect";
  /** Set when the CONNECT is accepted. */
  session: GateSessionData | undefined;
  clientId = "";
  /** Backend calls of this connection not yet answered. */
  inFlight = 0;
  /**
   * Packet ids of QoS 2 publishes routed but not yet released by PUBREL: a resend of one is acknowledged
   * again but not routed twice (MQTT 3.1.1 §4.3.3). Made on the first QoS 2 publish; ids bound its size.
   */
  qos2AwaitingRelease: Set<number> | undefined;
  /** Why the connection was closed (for logs and tests). */
  closeReason: string | undefined;
  /** Rooms this connection is a member of (the gate keeps the index from room to connections). */
  rooms: Set<string> | undefined;
  private opened = false;
  // Made only when needed: most connections never hold a partial frame or a packet during auth, and at
  // 10,000 idle connections every per-connection allocation shows in the gate's memory.
  private pendingChunks: Buffer[] | undefined;
  private pendingLength = 0;
  /** Bytes needed before the pending chunks hold a whole frame; 0 while the header is incomplete. */
  private neededLength = 0;
  private queuedDuringAuth: Packet[] | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private keepaliveMs = 0;
  private lastActivity = 0;
  /** Pushes queued since the last flush; undefined when nothing is queued (and no flush is scheduled). */
  private outbox: Buffer[] | undefined;
  private outboxBytes = 0;
  /**
   * The transport's unsent bytes when last read (after a write or flush). Between writes it can only shrink,
   * so queueing checks against it and reads the transport only when that bound says the cap may be passed.
   */
  private unsentBound = 0;
  /** Packets handed to a transport that still held unsent bytes after taking them (Mqtt.WirteLoopChanNum). */
  private stalledPackets = 0;
  /** Watches a socket with unsent bytes for progress while writeTimeoutMs is set. */
  private writeWatch: NodeJS.Timeout | undefined;
  private watchedUnsent = 0;
  private writtenSinceCheck = 0;
  private lastWriteProgress = 0;

  constructor(host: ConnectionHost, transport: ConnectionTransport) {
    this.host = host;
    this.transport = transport;
    this.connectTimer = setTimeout(() => this.destroy("no CONNECT within the connect timeout"), host.options.connectTimeoutMs);
  }

  get closed(): boolean {
    return this.state === "closed";
  }

  onData(chunk: Buffer): void {
    if (this.state === "closed") return;
    this.host.observer?.bytes("in", chunk.length);
    this.lastActivity = Date.now();
    let data = chunk;
    if (this.pendingChunks !== undefined) {
      this.pendingChunks.push(chunk);
      this.pendingLength += chunk.length;
      if (this.pendingLength < this.neededLength) return;
      data = Buffer.concat(this.pendingChunks, this.pendingLength);
      this.pendingChunks = undefined;
      this.pendingLength = 0;
    }
    const maxPackSize = this.host.options.maxPackSize;
    let offset = 0;
    this.neededLength = 0;
    while (offset < data.length) {
      // Checked on the very first byte: a non-CONNECT opener never gets anything buffered (CVE-2023-0809).
      if (this.state === "awaiting-connect" && data[offset] >> 4 !== PacketType.connect) {
        this.destroy("first packet is not CONNECT");
        return;
      }
      const header = readFixedHeader(data, offset);
      if (header.state === "incomplete") break;
      if (header.state === "malformed") {
        this.destroy("malformed remaining length");
        return;
      }
      if (header.remainingLength > maxPackSize) {
        this.destroy(`packet of ${header.remainingLength} bytes exceeds MaxPackSize ${maxPackSize}`);
        return;
      }
      const frameLength = header.headerLength + header.remainingLength;
      if (data.length - offset < frameLength) {
        this.neededLength = frameLength;
        break;
      }
      try {
        this.onFrame(header.type, data.subarray(offset, offset + frameLength));
      } catch (error) {
        // One client's bad packet must never take the gate down: drop that client only.
        this.host.log.warn({ err: error, clientId: this.clientId }, "gate packet handling failed");
        this.destroy(`packet handling failed: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      offset += frameLength;
      if (this.closed) return;
    }
    if (offset < data.length) {
      // Copied so a partial frame never pins the (possibly large) chunk it arrived in.
      const rest = Buffer.from(data.subarray(offset));
      this.pendingChunks = [rest];
      this.pendingLength = rest.length;
    }
  }

  private onFrame(type: number, frame: Buffer): void {
    const parsed = type === PacketType.connect ? parseConnectFrame(frame) : parseFrame(frame);
    if (!parsed.ok) {
      this.destroy(`malformed packet: ${parsed.reason}`);
      return;
    }
    if (this.state === "authenticating") {
      const queued = (this.queuedDuringAuth ??= []);
      if (queued.length >= MAX_PACKETS_DURING_AUTH) {
        this.destroy("too many packets before CONNACK");
        return;
      }
      queued.push(parsed.packet);
      return;
    }
    this.dispatch(parsed.packet);
  }

  private dispatch(packet: Packet): void {
    switch (packet.cmd) {
      case "connect":
        handleConnect(this, packet);
        return;
      case "publish":
        handlePublish(this, packet);
        break;
      case "puback":
      case "pubrec":
      case "pubcomp":
        handleAck(this, packet);
        break;
      case "pubrel":
        handlePubrel(this, packet);
        break;
      case "subscribe":
        handleSubscribe(this, packet);
        break;
      case "unsubscribe":
        handleUnsubscribe(this, packet);
        break;
      case "pingreq":
        handlePingreq(this, packet);
        break;
      case "disconnect":
        handleDisconnect(this, packet);
        return;
      default:
        // CONNACK, SUBACK, UNSUBACK, PINGRESP, AUTH are server-to-client only.
        this.destroy(`unexpected ${packet.cmd} from a client`);
        return;
    }
    if (this.session !== undefined && this.session.userId !== "") this.host.activity(this);
  }

  /** Called by the CONNECT handler once it has decided to run the auth hook (the CONNECT timer keeps running). */
  beginAuthentication(): void {
    this.state = "authenticating";
  }

  /** Called by the CONNECT handler after writing an accepting CONNACK. */
  accept(session: GateSessionData, keepaliveSec: number): void {
    if (this.state === "closed") return;
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.state = "connected";
    this.session = session;
    this.opened = true;
    const maxKeepalive = this.host.options.maxKeepaliveSec;
    // mqant uses Mqtt.ReadTimeout as the keepalive of a client that asks for none.
    const zero = this.host.options.keepaliveZeroSec;
    const asked = keepaliveSec > 0 ? keepaliveSec : zero > 0 ? zero : maxKeepalive;
    const effective = Math.min(asked, maxKeepalive);
    // MQTT 3.1.1 §3.1.2.10: one and a half times the keepalive.
    this.keepaliveMs = Math.ceil(effective * 1500);
    this.lastActivity = Date.now();
    this.armKeepalive(this.keepaliveMs);
    this.host.connectionOpened(this);
    const queued = this.queuedDuringAuth ?? [];
    this.queuedDuringAuth = undefined;
    for (const packet of queued) {
      if (this.state !== "connected") return;
      this.dispatch(packet);
    }
  }

  private armKeepalive(delayMs: number): void {
    this.keepaliveTimer = setTimeout(() => {
      const idle = Date.now() - this.lastActivity;
      if (idle >= this.keepaliveMs) {
        this.destroy("keepalive expired");
        return;
      }
      this.armKeepalive(this.keepaliveMs - idle);
    }, delayMs);
  }

  /**
   * Writes one packet now (acks, replies), unless pushes are queued: then it queues behind them, so a client
   * sees packets in the order the gate produced them. A client that lets more than `maxUnsentBytes` pile up
   * is dropped.
   */
  write(bytes: Buffer): void {
    if (this.state === "closed") return;
    if (this.outbox !== undefined) {
      this.enqueue(bytes);
      return;
    }
    this.host.observer?.bytes("out", bytes.length);
    this.transport.write(bytes);
    this.wrote(1, bytes.length);
  }

  /**
   * Queues a packet for this tick's flush: pushes that reach a connection within one turn of the event loop
   * leave in one write. `bytes` may be shared with other connections and is never changed.
   */
  enqueue(bytes: Buffer): void {
    if (this.state === "closed") return;
    if (this.outbox === undefined) {
      this.outbox = [bytes];
      this.host.scheduleFlush(this);
    } else {
      this.outbox.push(bytes);
    }
    this.outboxBytes += bytes.length;
    if (this.outboxBytes + this.unsentBound > this.host.options.maxUnsentBytes) this.checkUnsent(this.outboxBytes);
  }

  /** Hands the queued packets to the transport (one write per socket); called by the gate's flush. */
  flush(): void {
    const packets = this.outbox;
    if (packets === undefined) return;
    const outboxBytes = this.outboxBytes;
    this.outbox = undefined;
    this.outboxBytes = 0;
    if (this.state === "closed") return;
    this.host.observer?.bytes("out", outboxBytes);
    if (packets.length === 1) this.transport.write(packets[0]!);
    else this.transport.writeMany(packets);
    this.wrote(packets.length, outboxBytes);
  }

  /** After a write: the unsent-bytes cap, then mqant's write queue bound and write timeout when configured. */
  private wrote(packets: number, bytes: number): void {
    this.checkUnsent(0);
    if (this.state === "closed") return;
    if (this.unsentBound === 0) {
      this.stalledPackets = 0;
      return;
    }
    const options = this.host.options;
    if (options.writeQueuePackets > 0) {
      this.stalledPackets += packets;
      if (this.stalledPackets > options.writeQueuePackets) {
        this.destroy(`more than ${options.writeQueuePackets} packets waiting for a client that is not reading (WirteLoopChanNum)`);
        return;
      }
    }
    if (options.writeTimeoutMs > 0) {
      if (this.writeWatch === undefined) {
        this.watchedUnsent = this.unsentBound;
        this.writtenSinceCheck = 0;
        this.lastWriteProgress = Date.now();
        const period = Math.max(20, Math.min(1_000, options.writeTimeoutMs / 4));
        this.writeWatch = setInterval(() => this.checkWriteProgress(), period);
      } else {
        this.writtenSinceCheck += bytes;
      }
    }
  }

  /** Progress means fewer bytes wait than before plus what was written since: some left for the client. */
  private checkWriteProgress(): void {
    const unsent = this.transport.unsentBytes;
    if (unsent === 0) {
      this.stopWriteWatch();
      this.stalledPackets = 0;
      return;
    }
    const now = Date.now();
    if (unsent < this.watchedUnsent + this.writtenSinceCheck) {
      this.lastWriteProgress = now;
    } else if (now - this.lastWriteProgress >= this.host.options.writeTimeoutMs) {
      this.destroy(`no bytes taken by the client within the write timeout of ${this.host.options.writeTimeoutMs} ms (WriteTimeout)`);
      return;
    }
    this.watchedUnsent = unsent;
    this.writtenSinceCheck = 0;
  }

  private stopWriteWatch(): void {
    if (this.writeWatch !== undefined) clearInterval(this.writeWatch);
    this.writeWatch = undefined;
  }

  private checkUnsent(queued: number): void {
    const cap = this.host.options.maxUnsentBytes;
    this.unsentBound = this.transport.unsentBytes;
    if (queued + this.unsentBound > cap) this.destroy(`more than ${cap} unsent bytes (client not reading)`);
  }

  /** Down-link message (QoS 0, as mqant), written now: a reply to the client's own request. */
  publish(topic: string, payload: Uint8Array): void {
    this.host.observer?.publish("out");
    this.write(publishQos0(topic, payload));
  }

  /** Flushes pending writes (e.g. a refusing CONNACK), then closes. */
  end(reason: string): void {
    if (this.state === "closed") return;
    this.closeReason = reason;
    this.flush();
    this.transport.end();
    this.cleanup();
  }

  destroy(reason: string): void {
    if (this.state === "closed") return;
    this.closeReason = reason;
    this.host.log.debug({ reason, clientId: this.clientId, ip: this.transport.ip }, "gate connection closed");
    this.transport.destroy();
    this.cleanup();
  }

  /** The transport closed underneath (client went away). */
  transportClosed(): void {
    if (this.state === "closed") return;
    this.closeReason ??= "closed by client";
    this.cleanup();
  }

  private cleanup(): void {
    this.state = "closed";
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    if (this.keepaliveTimer !== undefined) clearTimeout(this.keepaliveTimer);
    this.connectTimer = undefined;
    this.keepaliveTimer = undefined;
    this.stopWriteWatch();
    this.pendingChunks = undefined;
    this.pendingLength = 0;
    this.queuedDuringAuth = undefined;
    this.outbox = undefined;
    this.outboxBytes = 0;
    const opened = this.opened;
    this.opened = false;
    this.host.connectionClosed(this, opened);
  }
}

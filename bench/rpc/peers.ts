/**
 * The peers of bench:rpc, each an echo of one short string: raw nats.js `request()`, raw nats.js with one
 * shared reply subject and ids in the payload (the wire pattern Moleculer and mqant use), and Moleculer
 * 0.15 over NATS and in process.
 */
import { connect, createInbox, type NatsConnection } from "nats";
import { ServiceBroker } from "moleculer";
import type { Call } from "../support/measure.js";

export const ECHO_SUBJECT = "bench.echo";
const PAYLOAD_TEXT = "x";

export interface Client {
  readonly call: Call;
  close(): Promise<void>;
}

export type StopServer = () => Promise<void>;

export async function startRawServer(natsUrl: string): Promise<StopServer> {
  const nc = await connect({ servers: natsUrl });
  nc.subscribe(ECHO_SUBJECT, {
    callback: (error, msg) => {
      if (error === null) msg.respond(msg.data);
    },
  });
  await nc.flush();
  return () => nc.drain();
}

function checkEcho(data: Uint8Array, offset: number): void {
  // 0x78 is "x": a reply that is not our echo means the harness is measuring something else.
  if (data.length !== offset + 1 || data[offset] !== 0x78) throw new Error("echo mismatch");
}

export async function startRawRequestClient(natsUrl: string): Promise<Client> {
  const nc: NatsConnection = await connect({ servers: natsUrl });
  const payload = new TextEncoder().encode(PAYLOAD_TEXT);
  return {
    call: async () => {
      const reply = await nc.request(ECHO_SUBJECT, payload, { timeout: 10_000 });
      checkEcho(reply.data, 0);
    },
    close: () => nc.close(),
  };
}

/** One long-lived reply subscription; a 4-byte id prefix correlates replies, no timer per request. */
export async function startRawSharedReplyClient(natsUrl: string): Promise<Client> {
  const nc: NatsConnection = await connect({ servers: natsUrl });
  const inbox = createInbox();
  const pending = new Map<number, () => void>();
  nc.subscribe(inbox, {
    callback: (error, msg) => {
      if (error !== null) return;
      const data = msg.data;
      const id = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
      checkEcho(data, 4);
      const resolve = pending.get(id);
      if (resolve !== undefined) {
        pending.delete(id);
        resolve();
      }
    },
  });
  await nc.flush();
  let nextId = 0;
  return {
    call: () =>
      new Promise<void>((resolve) => {
        const id = (nextId = (nextId + 1) >>> 0);
        const payload = new Uint8Array(5);
        new DataView(payload.buffer).setUint32(0, id);
        payload[4] = 0x78;
        pending.set(id, resolve);
        nc.publish(ECHO_SUBJECT, payload, { reply: inbox });
      }),
    close: () => nc.close(),
  };
}

function helloworldService(broker: ServiceBroker): void {
  broker.createService({
    name: "helloworld",
    actions: {
      sayHi: (ctx: { params: { name: string } }) => ctx.params.name,
    },
  });
}

function checkName(reply: unknown): void {
  if (reply !== PAYLOAD_TEXT) throw new Error("moleculer echo mismatch");
}

export async function startMoleculerServer(natsUrl: string): Promise<StopServer> {
  const broker = new ServiceBroker({ nodeID: `server-${process.pid}`, transporter: { type: "NATS", options: { url: natsUrl } }, logger: false });
  helloworldService(broker);
  await broker.start();
  return () => broker.stop();
}

export async function startMoleculerClient(natsUrl: string): Promise<Client> {
  const broker = new ServiceBroker({ nodeID: `client-${process.pid}`, transporter: { type: "NATS", options: { url: natsUrl } }, logger: false });
  await broker.start();
  await broker.waitForServices("helloworld", 20_000);
  const params = { name: PAYLOAD_TEXT };
  return {
    call: async () => checkName(await broker.call("helloworld.sayHi", params)),
    close: () => broker.stop(),
  };
}

export async function startMoleculerLocal(): Promise<Client> {
  const broker = new ServiceBroker({ nodeID: `local-${process.pid}`, logger: false });
  helloworldService(broker);
  await broker.start();
  const params = { name: PAYLOAD_TEXT };
  return {
    call: async () => checkName(await broker.call("helloworld.sayHi", params)),
    close: () => broker.stop(),
  };
}

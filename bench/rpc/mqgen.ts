/** mqgen side of bench:rpc. Filled in once the runtime's createApp lands. */
import type { Client, StopServer } from "./peers.js";

export class MqgenUnavailableError extends Error {
  override readonly name = "MqgenUnavailableError";
}

export async function startMqgenServer(_natsUrl: string): Promise<StopServer> {
  throw new MqgenUnavailableError("runtime/app createApp is not available yet");
}

export async function startMqgenClient(_natsUrl: string): Promise<Client> {
  throw new MqgenUnavailableError("runtime/app createApp is not available yet");
}

export async function startMqgenLocal(): Promise<Client> {
  throw new MqgenUnavailableError("runtime/app createApp is not available yet");
}

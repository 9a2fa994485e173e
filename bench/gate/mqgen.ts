/** mqgen side of bench:gate. Filled in once the gate module and createApp land. */
import type { RunningServer } from "./servers.js";

export class MqgenUnavailableError extends Error {
  override readonly name = "MqgenUnavailableError";
}

export async function startGateInProcess(): Promise<RunningServer> {
  throw new MqgenUnavailableError("the gate module and createApp are not available yet");
}

export async function startGateOverNats(_natsUrl: string): Promise<RunningServer> {
  throw new MqgenUnavailableError("the gate module and createApp are not available yet");
}

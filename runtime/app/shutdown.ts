/**
 * The app's stop, in mqant's order and bounded by the kill-wait: stop taking calls, deregister, drain
 * in-flight calls, destroy modules in reverse order, close the transports and NATS. A step that runs out of
 * time is logged and stop carries on, so a stuck module never keeps the process alive.
 */
import type { NatsConnection } from "nats";
import type { Logger } from "../log/types.js";
import type { EventHub } from "../events/bus.js";
import type { OpsHub } from "../observe/hooks.js";
import type { Registry } from "../registry/types.js";
import type { RpcClient } from "../rpc/client.js";
import type { RpcServer } from "../rpc/server.js";
import type { Selector } from "../selector/selector.js";
import type { LocalTransport } from "../transport/local.js";
import type { NatsTransport } from "../transport/nats.js";
import type { RunningModule } from "./module-node.js";
import type { App, Hook } from "./options.js";
import { within } from "./support.js";

export interface ShutdownParts {
  readonly app: App;
  readonly log: Logger;
  readonly ops: OpsHub;
  readonly killWaitMs: number;
  /** In start order; they stop in reverse. */
  readonly running: readonly RunningModule[];
  readonly destroyHooks: readonly Hook<[App]>[];
  readonly eventHub: EventHub;
  readonly client: RpcClient | undefined;
  readonly transport: NatsTransport | undefined;
  readonly local: LocalTransport<RpcServer>;
  readonly selector: Selector | undefined;
  /** Only a connection the app made; one it was given stays open. */
  readonly ownedConnection: NatsConnection | undefined;
  /** Only a registry the app created. */
  readonly ownedRegistry: Registry | undefined;
}

/** Runs the stop sequence; resolves with whether the kill-wait ran out on the way. */
export async function shutDown(parts: ShutdownParts): Promise<{ timedOut: boolean; pending: number }> {
  const { log, ops } = parts;
  const deadline = Date.now() + parts.killWaitMs;
  const remaining = (): number => Math.max(0, deadline - Date.now());
  let timedOut = false;
  const modules = [...parts.running].reverse();

  // 1. Stop taking calls at once: new calls are refused with "rpc server closed" (never run, so callers
  //    retry them on another node). The subjects stay subscribed while draining, so callers' liveness
  //    probes see a node that is still finishing their calls. Then leave the registry.
  for (const m of modules) m.server.stopAccepting();
  if (!(await within(Promise.all(modules.map((m) => m.registrar.stop())), remaining()))) timedOut = true;
  // 2. Drain calls already accepted.
  const drained = await Promise.all(modules.map((m) => m.server.drain(remaining())));
  if (drained.includes(false)) {
    timedOut = true;
    for (const m of modules) m.server.abortAll();
  }
  for (const m of modules) parts.transport?.unserve(m.address);
  // 3. In reverse order, as mqant: tell run() to return, wait for it, then onDestroy().
  for (const m of modules) {
    m.abort.abort();
    if (m.run !== undefined && !(await within(m.run, remaining()))) {
      timedOut = true;
      log.error(`module ${m.module.type}: run() did not return within the kill-wait`);
    }
    try {
      if (m.module.onDestroy !== undefined && !(await within(Promise.resolve(m.module.onDestroy()), remaining()))) {
        timedOut = true;
        log.error(`module ${m.module.type}: onDestroy() did not finish within the kill-wait`);
      }
    } catch (err) {
      log.error({ err }, `module ${m.module.type}: onDestroy() failed`);
    }
    parts.local.remove(m.nodeId);
    ops.nodeStopped(m.nodeId);
  }
  for (const hook of parts.destroyHooks) {
    try {
      await within(Promise.resolve(hook(parts.app)), remaining());
    } catch (err) {
      log.error({ err }, "onDestroy hook failed");
    }
  }
  // 4. Transports.
  parts.eventHub.close();
  parts.client?.close();
  parts.transport?.close();
  parts.local.close();
  parts.selector?.close();
  const nc = parts.ownedConnection;
  if (nc !== undefined && !(await within(nc.drain().catch(() => nc.close()), remaining()))) {
    timedOut = true;
    await nc.close().catch(() => undefined);
  }
  await parts.ownedRegistry?.close();
  return { timedOut, pending: timedOut ? modules.reduce((n, m) => n + m.server.pending, 0) : 0 };
}

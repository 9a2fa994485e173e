/**
 * The push side of a RegistryWatcher: registries push events as they learn them, the consumer pulls them
 * with `for await`. Events queue while nobody is pulling, so none is lost between two `next()` calls.
 */
import type { RegistryWatcher, ServiceNode, WatchEvent } from "./types.js";

export class WatchQueue implements RegistryWatcher {
  private readonly pending: WatchEvent[] = [];
  private waiter: ((result: IteratorResult<WatchEvent>) => void) | undefined;
  private stopped = false;
  private readonly onStop: () => void;

  constructor(onStop: () => void) {
    this.onStop = onStop;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  push(event: WatchEvent): void {
    if (this.stopped) return;
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter({ value: event, done: false });
    } else {
      this.pending.push(event);
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.pending.length = 0;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.({ value: undefined, done: true });
    this.onStop();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return {
      next: () => {
        const event = this.pending.shift();
        if (event !== undefined) return Promise.resolve({ value: event, done: false });
        if (this.stopped) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiter = resolve;
        });
      },
      return: () => {
        this.stop();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/** Node-level difference between two snapshots of one service, as create/update/delete events. */
export function diffServiceNodes(
  name: string,
  before: ReadonlyMap<string, { version: string; node: ServiceNode }>,
  after: ReadonlyMap<string, { version: string; node: ServiceNode }>,
): WatchEvent[] {
  const events: WatchEvent[] = [];
  const single = (version: string, node: ServiceNode) => ({
    name,
    version,
    metadata: null,
    nodes: [node],
  });
  for (const [id, now] of after) {
    const old = before.get(id);
    if (old === undefined) events.push({ action: "create", service: single(now.version, now.node) });
    else if (nodeFingerprint(old.version, old.node) !== nodeFingerprint(now.version, now.node))
      events.push({ action: "update", service: single(now.version, now.node) });
  }
  for (const [id, old] of before) {
    if (!after.has(id)) events.push({ action: "delete", service: single(old.version, old.node) });
  }
  return events;
}

function nodeFingerprint(version: string, node: ServiceNode): string {
  const metadata = Object.keys(node.metadata)
    .sort()
    .map((key) => [key, node.metadata[key]]);
  return JSON.stringify([version, node.address, node.port, metadata]);
}

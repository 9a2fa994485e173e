/**
 * The queues of one RPC server: `serial` jobs run one at a time in arrival order (mqant Register),
 * `concurrent` ones up to `maxConcurrent` at once (RegisterGO), each waiting in a FIFO of at most
 * `maxQueue`. Draining is a loop, never recursion: a job that finishes synchronously (or was dropped
 * because its deadline passed in the queue) frees its slot inside the loop that started it, so thousands
 * of queued calls expiring at once cost a loop, not a stack frame each.
 */
import type { HandlerMode } from "../descriptor.js";

export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  forEach(visit: (item: T) => void): void {
    for (let i = this.head; i < this.items.length; i++) visit(this.items[i] as T);
  }
}

/** What submit() did with a job: started it, queued it, or refused it because its queue is full. */
export type Admission = "started" | "queued" | { readonly running: number; readonly queued: number };

export class Scheduler<J> {
  private readonly serialQueue = new Fifo<J>();
  private serialBusy = false;
  private readonly goQueue = new Fifo<J>();
  private goRunning = 0;
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly maxConcurrent: number,
    private readonly maxQueue: number,
    /** Runs a job; it must call done(mode) exactly once when the job has finished (now or later). */
    private readonly run: (job: J, now?: number) => void,
  ) {}

  /** `now`: the clock reading the caller just took, if any. */
  submit(job: J, mode: HandlerMode, now?: number): Admission {
    if (mode === "serial") {
      if (!this.serialBusy) {
        this.serialBusy = true;
        this.run(job, now);
        return "started";
      }
      if (this.serialQueue.length >= this.maxQueue) return { running: 1, queued: this.serialQueue.length };
      this.serialQueue.push(job);
      return "queued";
    }
    if (this.goRunning < this.maxConcurrent) {
      this.goRunning++;
      this.run(job, now);
      return "started";
    }
    if (this.goQueue.length >= this.maxQueue) return { running: this.goRunning, queued: this.goQueue.length };
    this.goQueue.push(job);
    return "queued";
  }

  /** Queued (not running) jobs counted by `key`; walks both queues, for scrape-time gauges. */
  countQueued(key: (job: J) => string): Map<string, number> {
    const out = new Map<string, number>();
    const count = (job: J): void => void out.set(key(job), (out.get(key(job)) ?? 0) + 1);
    this.serialQueue.forEach(count);
    this.goQueue.forEach(count);
    return out;
  }

  /** A job of `mode` finished: its slot goes to the next queued job. */
  done(mode: HandlerMode): void {
    if (mode === "serial") this.serialBusy = false;
    else this.goRunning--;
    if (this.draining) return; // the loop below, further up the stack, hands the slot on
    this.draining = true;
    try {
      for (;;) {
        if (!this.serialBusy && this.serialQueue.length > 0) {
          this.serialBusy = true;
          this.run(this.serialQueue.shift() as J);
        } else if (this.goRunning < this.maxConcurrent && this.goQueue.length > 0) {
          this.goRunning++;
          this.run(this.goQueue.shift() as J);
        } else {
          break;
        }
      }
    } finally {
      this.draining = false;
    }
    if (this.idleWaiters.length > 0 && this.isIdle) {
      for (const waiter of this.idleWaiters.splice(0)) waiter();
    }
  }

  get isIdle(): boolean {
    return !this.serialBusy && this.goRunning === 0;
  }

  /** Jobs running or waiting. */
  get pending(): number {
    return (this.serialBusy ? 1 : 0) + this.serialQueue.length + this.goRunning + this.goQueue.length;
  }

  /** Resolves true when every job has finished, or false after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.isIdle) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(waiter);
    });
  }
}

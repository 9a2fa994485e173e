/**
 * One socket write for the requests of many I/O callbacks. nats.js flushes what was published at the end
 * of the callback that published it, so a gate reading 500 client sockets in one turn of the event loop
 * wrote 500 times to NATS (a syscall each, and a read each in nats-server). The first requests of a turn
 * still leave at once (a lone request waits for nothing); those published by later callbacks of the same
 * turn are held by corking the socket and leave together in one writev when the turn's I/O is done
 * (setImmediate runs right after the poll phase). Corking changes when bytes leave, never their order.
 */
import type { CorkableSocket } from "./nats-internals.js";

const IDLE = 0;
/** Requests went out this turn; nats.js's flush of them is still queued as a microtask. */
const FIRST = 1;
/** That flush is done: a request now comes from a later callback of the same turn, and is held. */
const LATER = 2;
const CORKED = 3;

export class WriteCoalescer {
  private state = IDLE;
  private corked: CorkableSocket | undefined;

  constructor(private readonly socket: () => CorkableSocket | undefined) {}

  /** Called after each frame is handed to nats.js (which queued its flush as a microtask first). */
  written(): void {
    if (this.state === IDLE) {
      this.state = FIRST;
      queueMicrotask(this.firstFlushed);
      setImmediate(this.release);
    } else if (this.state === LATER) {
      const socket = this.socket();
      if (socket === undefined || socket.destroyed) return;
      socket.cork();
      this.corked = socket;
      this.state = CORKED;
    }
  }

  private readonly firstFlushed = (): void => {
    if (this.state === FIRST) this.state = LATER;
  };

  private readonly release = (): void => {
    this.state = IDLE;
    const socket = this.corked;
    this.corked = undefined;
    socket?.uncork();
  };
}

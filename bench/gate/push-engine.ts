/**
 * The pushing side of bench:gate's fan-out: one push at a time (time to last delivery) or pushes as fast as
 * the server accepts them for a while (sustained), each payload carrying its sequence number and send time.
 * "Accepted" is the sink's promise: a gate's RoomPush answered, a broker socket's write taken. A credit from
 * the parent (the slowest client's progress plus a window) keeps the servers' queues bounded, so a server is
 * measured at the rate its clients are served, not at the rate it can buffer.
 */
import { benchPayload, nowMs } from "./raw-mqtt.js";
import { emit, type WorkerMessage } from "../support/worker.js";

export interface PushSink {
  /** Resolves once the server accepted the push (its count of recipients, when it tells). */
  push(payload: Buffer): Promise<number | undefined>;
}

export interface SustainResult {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly sent: number;
  readonly startedAt: number;
  readonly seconds: number;
}

export class PushEngine {
  private seq = 0;
  private credit = Number.POSITIVE_INFINITY;
  private wake: (() => void) | undefined;
  private readonly sink: PushSink;
  private readonly size: number;
  private readonly inflight: number;

  constructor(sink: PushSink, size = 200, inflight = 16) {
    this.sink = sink;
    this.size = size;
    this.inflight = inflight;
  }

  async one(): Promise<{ seq: number; sentAt: number; count: number | undefined }> {
    const payload = benchPayload(++this.seq, this.size);
    const sentAt = payload.readDoubleBE(4);
    const count = await this.sink.push(payload);
    return { seq: this.seq, sentAt, count };
  }

  setCredit(upTo: number): void {
    this.credit = upTo;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  sustain(ms: number, window: number): Promise<SustainResult> {
    const firstSeq = this.seq + 1;
    this.credit = this.seq + window;
    const startedAt = nowMs();
    const end = performance.now() + ms;
    let outstanding = 0;
    return new Promise((resolve, reject) => {
      let finished = false;
      const pump = (): void => {
        if (finished) return;
        while (outstanding < this.inflight && performance.now() < end && this.seq < this.credit) {
          outstanding++;
          this.sink.push(benchPayload(++this.seq, this.size)).then(
            () => {
              outstanding--;
              pump();
            },
            (error: unknown) => {
              finished = true;
              reject(error instanceof Error ? error : new Error(String(error)));
            },
          );
        }
        if (performance.now() >= end) {
          if (outstanding === 0) {
            finished = true;
            clearTimeout(timer);
            resolve({ firstSeq, lastSeq: this.seq, sent: this.seq - firstSeq + 1, startedAt, seconds: (nowMs() - startedAt) / 1000 });
          }
          return;
        }
        if (this.seq >= this.credit) this.wake = pump;
      };
      const timer = setTimeout(pump, ms + 1);
      pump();
    });
  }
}

/** Child side: answers `push-one`, `sustain {ms, window}` and `credit {upTo}` from the parent with this engine. */
export function handlePushMessage(engine: PushEngine, message: WorkerMessage): boolean {
  if (message.type === "push-one") {
    void engine.one().then((r) => emit({ type: "pushed", ...r }), (error: unknown) => emit({ type: "error", message: String(error) }));
  } else if (message.type === "sustain") {
    void engine
      .sustain(Number(message["ms"]), Number(message["window"]))
      .then((r) => emit({ type: "sustained", ...r }), (error: unknown) => emit({ type: "error", message: String(error) }));
  } else if (message.type === "credit") {
    engine.setCredit(Number(message["upTo"]));
  } else {
    return false;
  }
  return true;
}

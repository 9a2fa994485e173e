/**
 * Node's timers take at most 2^31 - 1 ms (about 24.8 days); a longer delay fires after 1 ms instead. Every
 * deadline timer of the runtime goes through timerDelay(), and a timer that fires before its deadline
 * (because the delay was clamped) re-arms instead of failing the call.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The delay to arm for `deadline` (unix ms) at `now`, within what setTimeout() honours. */
export function timerDelay(deadline: number, now: number): number {
  const delay = deadline - now;
  return delay <= 0 ? 0 : delay > MAX_TIMER_MS ? MAX_TIMER_MS : delay;
}

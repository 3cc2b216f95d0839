// Time is an input: live code reads a system clock, replays a virtual one that events advance.
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export class VirtualClock implements Clock {
  constructor(private current = 0) {}
  now(): number {
    return this.current;
  }
  /** Moves time forward; a replay never goes back in time. */
  advanceTo(ms: number): void {
    if (ms > this.current) this.current = ms;
  }
}

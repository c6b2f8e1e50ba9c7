// The server's time, as the workstation's core learned it from the server's answers
// (`SyncStatus.clock_ahead_ms`; see `crates/client/src/clock.rs`). A computer whose clock drifted
// would otherwise default a vital-sign set's time to one the server refuses as in the future, or
// file it hours in the past; every "now" a screen uses comes from here instead of `Date.now()`.

let aheadMs = 0;
let wrong = false;

/**
 * Takes what the core says about this computer's clock: ms ahead of the server's (negative:
 * behind), and whether that is enough to tell the person (`SyncStatus.clock_wrong`).
 */
export function setClockAhead(ms: number, isWrong = false): void {
  aheadMs = Number.isFinite(ms) ? ms : 0;
  wrong = isWrong && aheadMs !== 0;
}

/**
 * Where a time is typed or defaulted (the vitals form's "Measured at"): a note that the time
 * shown is the server's, when this computer's clock is off by over a minute; "" otherwise.
 */
export function clockFieldNote(): string {
  if (!wrong) return "";
  return `The time below is right (from the server). This computer's clock is ${clockDistance(aheadMs)} ${aheadMs > 0 ? "fast" : "slow"}: tell IT.`;
}

/** Now by the server's clock, in milliseconds since the epoch. */
export function nowMs(): number {
  return Date.now() - aheadMs;
}

/** "20 min", "3 h", "2 h 5 min", "4 days": how far off a clock is, as a person says it. */
export function clockDistance(ms: number): string {
  const min = Math.round(Math.abs(ms) / 60_000);
  if (min < 120) return `${Math.max(min, 1)} min`;
  const h = Math.floor(min / 60);
  if (h >= 48) return `${Math.round(h / 24)} days`;
  const rest = min % 60;
  return rest ? `${h} h ${rest} min` : `${h} h`;
}

/**
 * The status bar's warning for a clock off by over a minute ("" otherwise): what is wrong, that
 * nothing is stamped wrongly because of it, and who fixes it.
 */
export function clockWarning(aheadMsValue: number, wrong: boolean): string {
  if (!wrong) return "";
  const way = aheadMsValue > 0 ? "fast" : "slow";
  return `This computer's clock is ${clockDistance(aheadMsValue)} ${way}. medoffice uses the server's time, so nothing is recorded at a wrong time; ask IT to set the clock right.`;
}

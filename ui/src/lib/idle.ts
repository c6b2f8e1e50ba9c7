// The idle lock's setting: minutes without keyboard or mouse input before the screen locks,
// remembered on this workstation next to the other desktop preferences (localStorage).

import type { KeyValueStore } from "./units";

export const DEFAULT_IDLE_MINUTES = 10;
/** Longest allowed: a workstation is never left open for more than two hours. */
export const MAX_IDLE_MINUTES = 120;
const STORAGE_KEY = "medoffice.idleLockMinutes";

/**
 * Minutes before the idle lock (fractions allowed, e.g. 0.05 = 3 s for tests); the default for
 * anything missing or unusable, at most MAX_IDLE_MINUTES.
 */
export function loadIdleMinutes(store: KeyValueStore | undefined): number {
  try {
    const raw = store?.getItem(STORAGE_KEY);
    if (raw === null || raw === undefined || raw.trim() === "") return DEFAULT_IDLE_MINUTES;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) return DEFAULT_IDLE_MINUTES;
    return Math.min(n, MAX_IDLE_MINUTES);
  } catch {
    return DEFAULT_IDLE_MINUTES;
  }
}

/** Checks a typed value: whole minutes from 1 to MAX_IDLE_MINUTES; the error words otherwise. */
export function parseIdleMinutes(text: string): { minutes: number } | { error: string } {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return { error: "must be a whole number of minutes" };
  const n = Number(t);
  if (n < 1 || n > MAX_IDLE_MINUTES) return { error: `must be between 1 and ${MAX_IDLE_MINUTES} minutes` };
  return { minutes: n };
}

export function saveIdleMinutes(store: KeyValueStore | undefined, minutes: number): void {
  try {
    store?.setItem(STORAGE_KEY, String(minutes));
  } catch {
    // Storage unavailable: the choice lasts for this session only.
  }
}

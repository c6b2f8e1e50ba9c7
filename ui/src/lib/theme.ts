// The colour theme: light, dark, or whatever the operating system prefers, remembered on this
// workstation (localStorage) and applied to <html> as `data-theme` before the first paint.

import type { KeyValueStore } from "./units";

/** What the person chose: a fixed theme, or follow the system (`prefers-color-scheme`). */
export type ThemeChoice = "light" | "dark" | "system";
/** The theme actually drawn. */
export type Theme = "light" | "dark";

export const DEFAULT_THEME: ThemeChoice = "system";
/** The event dispatched on `window` whenever the drawn theme changes (charts redraw on it). */
export const THEME_EVENT = "medoffice-theme-changed";
const STORAGE_KEY = "medoffice.theme";

/** Choices in the order the Settings screen offers them, with their labels. */
export const THEME_CHOICES: ReadonlyArray<[ThemeChoice, string]> = [
  ["light", "Light"],
  ["dark", "Dark"],
  ["system", "Follow the system"],
];

/** True for a valid stored or typed choice. */
export function isThemeChoice(v: unknown): v is ThemeChoice {
  return v === "light" || v === "dark" || v === "system";
}

/** The remembered choice; the default (follow the system) for anything missing or unknown. */
export function loadThemeChoice(store: KeyValueStore | undefined): ThemeChoice {
  try {
    const raw = store?.getItem(STORAGE_KEY);
    return isThemeChoice(raw) ? raw : DEFAULT_THEME;
  } catch {
    return DEFAULT_THEME;
  }
}

/** Remembers the choice (storage unavailable: it lasts for this session only). */
export function saveThemeChoice(store: KeyValueStore | undefined, choice: ThemeChoice): void {
  try {
    store?.setItem(STORAGE_KEY, choice);
  } catch {
    // the choice lasts for this session only
  }
}

/** The theme to draw for a choice, given whether the system prefers dark. */
export function resolveTheme(choice: ThemeChoice, systemPrefersDark: boolean): Theme {
  if (choice === "system") return systemPrefersDark ? "dark" : "light";
  return choice;
}

/** The parts of `window` the theme needs (a stand-in in tests). */
export interface ThemeHost {
  document: { documentElement: { dataset: DOMStringMap; style: { colorScheme: string } } };
  matchMedia?(query: string): { matches: boolean; addEventListener?(type: "change", cb: () => void): void };
  dispatchEvent(e: Event): boolean;
}

let current: Theme | null = null;
let listening = false;

/**
 * Draws `choice` on `host` (sets `data-theme` and `color-scheme` on <html>, so native controls
 * follow) and dispatches THEME_EVENT when the drawn theme changed. While the choice is
 * "system", a change of the system's preference is followed at once. Returns the drawn theme.
 */
export function applyTheme(host: ThemeHost, choice: ThemeChoice): Theme {
  const mq = host.matchMedia?.("(prefers-color-scheme: dark)");
  const theme = resolveTheme(choice, mq?.matches ?? false);
  const root = host.document.documentElement;
  root.dataset.theme = theme;
  root.dataset.themeChoice = choice;
  root.style.colorScheme = theme;
  if (mq && !listening && mq.addEventListener) {
    listening = true;
    mq.addEventListener("change", () => {
      const c = root.dataset.themeChoice;
      if (isThemeChoice(c) && c === "system") applyTheme(host, c);
    });
  }
  if (current !== theme) {
    const first = current === null;
    current = theme;
    if (!first) host.dispatchEvent(new Event(THEME_EVENT));
  }
  return theme;
}

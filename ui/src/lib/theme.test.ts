import { describe, expect, it } from "vitest";
import { applyTheme, loadThemeChoice, resolveTheme, saveThemeChoice, THEME_EVENT, type ThemeHost } from "./theme";

function store(initial: Record<string, string> = {}) {
  const m = new Map(Object.entries(initial));
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
}

function host(prefersDark: boolean) {
  const events: string[] = [];
  let onChange: (() => void) | null = null;
  const mq = { matches: prefersDark, addEventListener: (_: "change", cb: () => void) => (onChange = cb) };
  const h: ThemeHost = {
    document: { documentElement: { dataset: {} as DOMStringMap, style: { colorScheme: "" } } },
    matchMedia: () => mq,
    dispatchEvent: (e: Event) => (events.push(e.type), true),
  };
  return { h, events, mq, change: () => onChange?.() };
}

describe("theme", () => {
  it("resolves a choice against the system preference", () => {
    expect(resolveTheme("light", true)).toBe("light");
    expect(resolveTheme("dark", false)).toBe("dark");
    expect(resolveTheme("system", true)).toBe("dark");
    expect(resolveTheme("system", false)).toBe("light");
  });

  it("remembers the choice and falls back to following the system", () => {
    expect(loadThemeChoice(store())).toBe("system");
    expect(loadThemeChoice(store({ "medoffice.theme": "purple" }))).toBe("system");
    expect(loadThemeChoice(undefined)).toBe("system");
    const s = store();
    saveThemeChoice(s, "dark");
    expect(loadThemeChoice(s)).toBe("dark");
  });

  it("draws the theme on <html>, sets color-scheme and announces changes only", () => {
    const { h, events, mq, change } = host(true);
    expect(applyTheme(h, "system")).toBe("dark");
    expect(h.document.documentElement.dataset.theme).toBe("dark");
    expect(h.document.documentElement.style.colorScheme).toBe("dark");
    applyTheme(h, "dark"); // same drawn theme: no event
    expect(events).toEqual([]);
    applyTheme(h, "light");
    expect(events).toEqual([THEME_EVENT]);
    expect(h.document.documentElement.style.colorScheme).toBe("light");
    // following the system: its change is followed
    applyTheme(h, "system");
    expect(events).toEqual([THEME_EVENT, THEME_EVENT]);
    mq.matches = false;
    change();
    expect(h.document.documentElement.dataset.theme).toBe("light");
    expect(events.length).toBe(3);
  });
});

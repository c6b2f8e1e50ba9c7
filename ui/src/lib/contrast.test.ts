// The palettes of both themes, read from styles.css, against WCAG 2.1 AA: every text/background
// pair the stylesheet uses at least 4.5:1, focus rings and input borders at least 3:1
// (success criteria 1.4.3 and 1.4.11).

import { describe, expect, it } from "vitest";
import css from "../styles.css?raw";
import { contrastRatio, cssVariables, over, parseColour, type Rgba } from "./contrast";

const light = cssVariables(css, ":root");
const dark = new Map([...light, ...cssVariables(css, ':root[data-theme="dark"]')]);

/** [foreground, background, where the stylesheet draws it]: text at 4.5:1. */
const TEXT_PAIRS: ReadonlyArray<[string, string, string]> = [
  ["--text", "--bg", "body text"],
  ["--text", "--surface", "text in panels, inputs, tables"],
  ["--text", "--surface-2", "table heads, striped rows, secondary buttons"],
  ["--text", "--primary-soft", "selected row, highlighted slot"],
  ["--text", "--info-soft", "info panels"],
  ["--text", "--danger-soft", "text typed in an invalid field"],
  ["--text", "--warn-soft", "status bar when offline"],
  ["--text", "--nav-bg", "navigation items"],
  ["--text", "--statusbar-bg", "status bar"],
  ["--muted", "--surface", "hints, secondary text in panels"],
  ["--muted", "--bg", "secondary text on the page"],
  ["--muted", "--surface-2", "secondary text in table heads"],
  ["--muted", "--nav-bg", "navigation foot"],
  ["--muted", "--statusbar-bg", "status bar problem text"],
  ["--muted", "--warn-soft", "status bar problem text when offline"],
  ["--heading", "--surface", "headings in panels"],
  ["--heading", "--bg", "screen headings"],
  ["--primary", "--surface", "links, current navigation item"],
  ["--primary", "--bg", "links on the page"],
  ["--primary", "--primary-soft", "links in a selected row"],
  ["--primary-hover", "--surface", "hovered links"],
  ["--primary-text", "--primary", "primary buttons, logo"],
  ["--primary-text", "--primary-hover", "hovered primary buttons"],
  ["--danger", "--surface", "field errors, required marks, quiet danger buttons"],
  ["--danger", "--danger-soft", "rejected and allergy badges"],
  ["--danger", "--statusbar-bg", "status bar problems"],
  ["--danger", "--warn-soft", "status bar problems when offline"],
  ["--danger-text", "--danger", "danger buttons, allergy banner, counts"],
  ["--danger-text", "--danger-hover", "hovered danger buttons"],
  ["--danger-strong", "--danger-soft", "error banners"],
  ["--danger-strong", "--warn-soft", "connection word when offline"],
  ["--info-text", "--info-soft", "info banners"],
  ["--warn", "--warn-soft", "pending and held badges"],
  ["--warn", "--statusbar-bg", "pending count in the status bar"],
  ["--warn", "--surface", "warnings in panels"],
  ["--warn-strong", "--warn-soft", "warning banners"],
  ["--ok", "--ok-soft", "no-allergies banner, completed status"],
  ["--ok", "--surface", "confirmations in panels"],
  ["--flag-high", "--flag-high-bg", "high flags"],
  ["--flag-low", "--flag-low-bg", "low flags"],
  ["--news-low", "--news-low-bg", "NEWS2 low"],
  ["--news-lowmed", "--news-lowmed-bg", "NEWS2 low-medium"],
  ["--news-med", "--news-med-bg", "NEWS2 medium"],
  ["--news-high", "--news-high-bg", "NEWS2 high"],
  ["--topbar-text", "--topbar-bg", "top bar"],
  ["--checked-in-text", "--checked-in-bg", "checked-in status"],
  ["--in-progress-text", "--in-progress-bg", "in-progress status"],
  ["--status-off-text", "--status-off-bg", "cancelled and no-show status"],
  ["--toast-text", "--toast-bg", "notices"],
  ["--toast-text", "--toast-ok-bg", "success notices"],
  ["--toast-text", "--danger", "error notices"],
  ["--sg-appt-text", "--sg-appt-bg", "a booking in the schedule grid"],
  ["--sg-inactive-text", "--sg-inactive-bg", "a cancelled or no-show booking in the grid"],
  ["--muted", "--sg-weekend", "hour labels in a weekend column"],
  ["--text", "--sg-selected", "the chosen slot of the grid"],
  ["--text", "--sg-drop", "the slot a booking is dragged over"],
];

/** Non-text contrast at 3:1: focus rings and the borders that show where a control is. */
const UI_PAIRS: ReadonlyArray<[string, string, string]> = [
  ["--focus", "--bg", "focus ring on the page"],
  ["--focus", "--surface", "focus ring in panels"],
  ["--focus", "--surface-2", "focus ring in table heads"],
  ["--focus", "--nav-bg", "focus ring in the navigation"],
  ["--focus-on-topbar", "--topbar-bg", "focus ring in the top bar"],
  ["--border-strong", "--surface", "input and button borders"],
  ["--border-strong", "--bg", "input borders on the page"],
  ["--danger", "--danger-soft", "border of an invalid field"],
  ["--ghost-border", "--topbar-bg", "top bar button borders"],
  ["--chart-line-1", "--surface", "trend chart lines (systolic, single measures)"],
  ["--chart-line-2", "--surface", "diastolic line of the blood-pressure chart"],
];

function colour(vars: Map<string, string>, name: string, seen = new Set<string>()): string {
  const v = vars.get(name);
  if (v === undefined) throw new Error(`${name} is not defined`);
  const ref = /^var\((--[\w-]+)\)$/.exec(v);
  if (ref?.[1]) {
    if (seen.has(ref[1])) throw new Error(`${name} refers to itself`);
    return colour(vars, ref[1], seen.add(name));
  }
  return v;
}

function rgba(vars: Map<string, string>, name: string): Rgba {
  const c = parseColour(colour(vars, name));
  if (!c) throw new Error(`${name} is not a colour: ${vars.get(name)}`);
  return c;
}

function failures(vars: Map<string, string>, pairs: ReadonlyArray<[string, string, string]>, min: number): string[] {
  const out: string[] = [];
  for (const [fg, bg, where] of pairs) {
    const back = rgba(vars, bg);
    expect(back.a, `${bg} must be opaque`).toBe(1);
    const ratio = contrastRatio(over(rgba(vars, fg), back), back);
    if (ratio < min) out.push(`${fg} on ${bg} (${where}): ${ratio.toFixed(2)}:1 < ${min}:1`);
  }
  return out;
}

describe("the stylesheet's palettes", () => {
  it("were both read", () => {
    expect(light.get("--text")).toBeTruthy();
    expect(cssVariables(css, ':root[data-theme="dark"]').get("--text")).toBeTruthy();
  });

  it("dark overrides every colour variable of the light theme", () => {
    const darkOwn = cssVariables(css, ':root[data-theme="dark"]');
    const colours = [...light].filter(([, v]) => parseColour(v) || /rgba?\(|#[0-9a-f]{3,6}/i.test(v)).map(([k]) => k);
    expect(colours.length).toBeGreaterThan(40);
    expect(colours.filter((k) => !darkOwn.has(k))).toEqual([]);
  });

  it("colours appear in rules only through variables", () => {
    const rules = css.replace(/\/\*[\s\S]*?\*\//g, "").replace(/:root(\[data-theme="dark"\])?\s*\{[^}]*\}/g, "");
    expect(rules.match(/#[0-9a-fA-F]{3,8}\b|rgba?\(/g) ?? []).toEqual([]);
  });

  for (const [name, vars] of [
    ["light", light],
    ["dark", dark],
  ] as const) {
    it(`${name}: text at least 4.5:1 on its background`, () => {
      expect(failures(vars, TEXT_PAIRS, 4.5)).toEqual([]);
    });
    it(`${name}: focus rings and control borders at least 3:1`, () => {
      expect(failures(vars, UI_PAIRS, 3)).toEqual([]);
    });
  }
});

describe("contrast arithmetic", () => {
  it("matches the WCAG reference values", () => {
    const black = parseColour("#000")!;
    const white = parseColour("#ffffff")!;
    expect(contrastRatio(black, white)).toBeCloseTo(21, 5);
    expect(contrastRatio(white, white)).toBe(1);
    // #767676 on white is the classic 4.54:1
    expect(contrastRatio(parseColour("#767676")!, white)).toBeCloseTo(4.54, 2);
    expect(over(parseColour("rgba(0, 0, 0, 0.5)")!, white).r).toBeCloseTo(127.5, 5);
  });
});

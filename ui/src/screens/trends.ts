// The chart screen's trend charts: blood pressure, heart rate, SpO2, temperature and weight
// over a chosen period, drawn with Chart.js (canvas) from the pure data of lib/trends.ts. The
// abnormal bands (from the flag thresholds in lib/vitals.ts) are shaded; flagged points are
// triangles (▲ high, ▼ low) and larger, not only another colour. Colours are the CSS variables
// of styles.css, read when drawn, so a theme change (`medoffice-theme-changed`) redraws them.

import { nowMs } from "../lib/clock";
import type { Chart, ChartConfiguration, ScriptableContext } from "chart.js";
import type { AnnotationOptions } from "chartjs-plugin-annotation";
import type { AdministrativeSex } from "../bindings/AdministrativeSex";
import type { Local } from "../bindings/Local";
import type { VitalSigns } from "../bindings/VitalSigns";
import { h, replace } from "../dom";
import { formatDateTime, formatDayMonth } from "../lib/locale";
import { defaultPeriod, periodStart, xRange, TREND_PERIODS, trendCharts, type TrendChart, type TrendPeriod } from "../lib/trends";
import { loadUnitPrefs } from "../lib/units";
import { isWithdrawn } from "../lib/vitals";
import type { Ctx } from "../ui/context";
import { utcToZoned } from "../lib/tz";

/** Chart.js, loaded the first time a chart is drawn (its own chunk). */
let chartLib: Promise<typeof import("./chartjs")> | null = null;
const loadChartLib = () => (chartLib ??= import("./chartjs"));

/** Window event the theme switcher dispatches after changing the CSS variables. */
export const THEME_CHANGED_EVENT = "medoffice-theme-changed";

/** The chart colours, read from the CSS variables of `:root` (or the theme's overrides). */
interface Palette {
  text: string;
  muted: string;
  grid: string;
  surface: string;
  line1: string;
  line2: string;
  bandLow: string;
  bandHigh: string;
  flagLow: string;
  flagHigh: string;
}

function palette(): Palette {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: v("--text", "#17212b"),
    muted: v("--muted", "#4f5b67"),
    grid: v("--chart-grid", "#e1e6eb"),
    surface: v("--surface", "#ffffff"),
    line1: v("--chart-line-1", "#0b5e9e"),
    line2: v("--chart-line-2", "#6b3d8f"),
    bandLow: v("--chart-band-low", "rgba(11, 79, 179, 0.12)"),
    bandHigh: v("--chart-band-high", "rgba(164, 22, 26, 0.12)"),
    flagLow: v("--flag-low", "#0b4fb3"),
    flagHigh: v("--flag-high", "#a4161a"),
  };
}

/** A plotted point as Chart.js holds it. */
interface Pt {
  x: number;
  y: number;
  flag: "low" | "high" | null;
  pending: boolean;
}

const DAY_MS = 24 * 3600 * 1000;

/** Tick words for an instant in the clinic's zone: "21 Mar" (or "Mar 21") within a year, "Mar 2026" beyond. */
function tickFormatter(timeZone: string, spanMs: number): (ms: number) => string {
  if (spanMs <= 400 * DAY_MS) return (ms) => formatDayMonth(utcToZoned(ms, timeZone).date);
  const f = new Intl.DateTimeFormat("en-GB", { month: "short", year: "numeric", timeZone });
  return (ms) => f.format(new Date(ms));
}

function chartConfig(c: TrendChart, p: Palette, timeZone: string, from: number | null, now: number): ChartConfiguration<"line", Pt[]> {
  const colours = [p.line1, p.line2];
  const x = xRange(
    c.series.flatMap((s) => s.points.map((pt) => pt.t)),
    from,
    now,
  );
  const fmt = tickFormatter(timeZone, x.max - x.min);
  const annotations: Record<string, AnnotationOptions> = {};
  c.bands.forEach((b, i) => {
    const secondary = c.series.length > 1 && b.field !== c.series[0]?.field;
    if (secondary) {
      // the second series' limits (diastolic) as dashed lines, so the shaded bands stay those of the first
      const at = b.kind === "low" ? b.to : b.from;
      if (at === null) return;
      annotations[`band${i}`] = {
        type: "line",
        xMin: b.tFrom ?? undefined,
        xMax: b.tTo ?? undefined,
        yMin: at,
        yMax: at,
        borderColor: b.kind === "low" ? p.flagLow : p.flagHigh,
        borderWidth: 1,
        borderDash: [5, 4],
        drawTime: "beforeDatasetsDraw",
        label: { display: b.current, content: b.label, position: "start", backgroundColor: "transparent", color: p.muted, font: { size: 11 }, yAdjust: b.kind === "low" ? 8 : -8, padding: 0 },
      };
      return;
    }
    annotations[`band${i}`] = {
      type: "box",
      xMin: b.tFrom ?? undefined,
      xMax: b.tTo ?? undefined,
      yMin: b.from ?? undefined,
      yMax: b.to ?? undefined,
      backgroundColor: b.kind === "low" ? p.bandLow : p.bandHigh,
      borderWidth: 0,
      drawTime: "beforeDatasetsDraw",
    };
  });
  const flagColour = (f: Pt["flag"], base: string) => (f === "high" ? p.flagHigh : f === "low" ? p.flagLow : base);
  return {
    type: "line",
    data: {
      datasets: c.series.map((s, i) => {
        const base = colours[i] ?? p.line1;
        return {
          label: s.label,
          data: s.points.map((x) => ({ x: x.t, y: x.value, flag: x.flag, pending: x.pending })),
          borderColor: base,
          backgroundColor: base,
          borderWidth: 2,
          borderDash: i === 1 ? [6, 3] : [],
          tension: 0,
          pointStyle: (ctx: ScriptableContext<"line">) => ((ctx.raw as Pt | undefined)?.flag ? "triangle" : i === 1 ? "rect" : "circle"),
          pointRotation: (ctx: ScriptableContext<"line">) => ((ctx.raw as Pt | undefined)?.flag === "low" ? 180 : 0),
          pointRadius: (ctx: ScriptableContext<"line">) => ((ctx.raw as Pt | undefined)?.flag ? 6 : 3),
          pointHoverRadius: 7,
          pointBorderWidth: (ctx: ScriptableContext<"line">) => ((ctx.raw as Pt | undefined)?.pending ? 2 : 1),
          pointBorderColor: (ctx: ScriptableContext<"line">) => flagColour((ctx.raw as Pt | undefined)?.flag ?? null, base),
          // a set not yet sent is hollow
          pointBackgroundColor: (ctx: ScriptableContext<"line">) => {
            const r = ctx.raw as Pt | undefined;
            return r?.pending ? p.surface : flagColour(r?.flag ?? null, base);
          },
        };
      }),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      parsing: false,
      normalized: true,
      scales: {
        x: {
          type: "linear",
          min: x.min,
          max: x.max,
          grid: { color: p.grid },
          border: { color: p.grid },
          ticks: { color: p.muted, maxTicksLimit: 6, maxRotation: 0, callback: (v) => fmt(Number(v)) },
        },
        y: {
          type: "linear",
          min: c.yRange?.min,
          max: c.yRange?.max,
          grid: { color: p.grid },
          border: { color: p.grid },
          ticks: { color: p.muted, maxTicksLimit: 6 },
          title: { display: true, text: c.unit, color: p.muted },
        },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items) => (items[0] ? formatDateTime(Number((items[0].raw as Pt).x), timeZone) : ""),
            label: (item) => {
              const r = item.raw as Pt;
              const flag = r.flag ? ` (${r.flag})` : "";
              const unit = c.unit === "/min" ? "/min" : ` ${c.unit}`;
              return `${item.dataset.label ?? ""}: ${r.y}${unit}${flag}${r.pending ? ", not yet sent" : ""}`;
            },
          },
        },
        annotation: { annotations },
      },
    },
  };
}

/** The trend section of a chart: period buttons and a grid of five charts. */
export interface TrendPanel {
  el: HTMLElement;
  /** Draws again from new data (or the same, after a unit or theme change). */
  update(vitals: Local<VitalSigns>[], dateOfBirth: string, sex: AdministrativeSex): void;
  /** Draws again when the workstation's units changed since the last drawing (e.g. in the vitals form). */
  unitsChanged(): void;
  /** Frees the canvases and the theme listener. */
  destroy(): void;
}

/**
 * Trend charts of a patient's vital signs. Test ids: `trends`, `trend-period` (one button per
 * period, `data-period`, `aria-pressed`), `trend-chart` (`data-measure`, `data-count`) holding
 * either `trend-canvas` (role img, aria-label = the summary, `data-drawn` once Chart.js drew it)
 * or `trend-empty`.
 */
export function trendPanel(ctx: Ctx): TrendPanel {
  let charts: Chart<"line", Pt[]>[] = [];
  let drawSeq = 0;
  // null until the person picks one: the default follows the data (a first set recorded later)
  let chosen: TrendPeriod | null = null;
  let last: { vitals: Local<VitalSigns>[]; dob: string; sex: AdministrativeSex } | null = null;
  const buttons = TREND_PERIODS.map(([p, label]) =>
    h("button", { type: "button", class: "btn btn-small", "data-testid": "trend-period", "data-period": p, "aria-pressed": "false", onclick: () => choose(p) }, label),
  );
  const status = h("p", { class: "sr-only", "aria-live": "polite", "data-testid": "trend-status" });
  const grid = h("div", { class: "trend-grid" });
  const el = h(
    "section",
    { class: "panel trends", "aria-labelledby": "trends-title", "data-testid": "trends" },
    h(
      "div",
      { class: "trends-head" },
      h("h2", { id: "trends-title" }, "Trends"),
      h("div", { class: "trend-periods", role: "group", "aria-label": "Period shown in the trend charts" }, h("span", { class: "muted", "aria-hidden": "true" }, "Period:"), ...buttons),
    ),
    h(
      "p",
      { class: "legend trend-legend" },
      h("span", { class: "swatch swatch-band-high", "aria-hidden": "true" }),
      h("span", { class: "swatch swatch-band-low", "aria-hidden": "true" }),
      " Shaded: outside the normal range (the thresholds of the flags). ",
      h("span", { class: "flag-high", "aria-hidden": "true" }, "▲"),
      " high, ",
      h("span", { class: "flag-low", "aria-hidden": "true" }, "▼"),
      " low: flagged readings. Hollow: not yet sent.",
    ),
    status,
    grid,
  );

  const destroyCharts = () => {
    for (const c of charts) c.destroy();
    charts = [];
  };

  const draw = () => {
    if (!last) return;
    const my = ++drawSeq;
    destroyCharts();
    // a set the server refused, or one entered in error, is not a measurement of the patient
    // (the table shows it, marked)
    const vitals = last.vitals.filter((v) => !v.rejected && !isWithdrawn(v.record));
    const { dob, sex } = last;
    const today = ctx.today();
    const period =
      chosen ??
      defaultPeriod(
        vitals.map((v) => v.record.measured_at),
        today,
        ctx.tz,
      );
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.period === period));
    const from = periodStart(period, today, ctx.tz);
    const now = nowMs();
    const list = trendCharts(vitals, { units: loadUnitPrefs(localStorage), from, dateOfBirth: dob, sex, now, timeZone: ctx.tz, period });
    const p = palette();
    const pending: [HTMLCanvasElement, ChartConfiguration<"line", Pt[]>][] = [];
    const figures = list.map((c) => {
      const heading = h("h3", { id: `trend-title-${c.measure}` }, c.title, h("span", { class: "th-unit" }, c.unit));
      // the words name the bands of the latest stretch (a child's earlier ones were for a younger age)
      const named = c.bands.filter((b) => b.current);
      const bandWords = named.length > 0 ? `Shaded: ${named.filter((b) => c.series.length === 1 || b.field === c.series[0]?.field).map((b) => b.label).join(", ")}.` : null;
      const secondary = c.series.length > 1 ? named.filter((b) => b.field !== c.series[0]?.field).map((b) => b.label) : [];
      const note = [bandWords, secondary.length > 0 ? `Dashed: ${secondary.join(", ")}.` : null, c.bandNote].filter(Boolean).join(" ");
      const fig = h("figure", { class: "trend-chart", "data-testid": "trend-chart", "data-measure": c.measure, "data-count": c.count, "aria-labelledby": `trend-title-${c.measure}` }, heading);
      if (c.series.length > 1 && c.count > 0)
        fig.append(
          h(
            "p",
            { class: "trend-series", "aria-hidden": "true" },
            ...c.series.map((s, i) => h("span", { class: `trend-key trend-key-${i + 1}` }, h("span", { class: "trend-key-mark" }), s.label)),
          ),
        );
      if (c.count === 0) {
        fig.append(h("p", { class: "trend-empty muted", "data-testid": "trend-empty" }, c.summary));
      } else {
        const canvas = h("canvas", { role: "img", "aria-label": c.summary, "data-testid": "trend-canvas" }, c.summary);
        fig.append(h("div", { class: "trend-canvas-wrap" }, canvas));
        pending.push([canvas, chartConfig(c, p, ctx.tz, from, now)]);
      }
      if (note) fig.append(h("figcaption", { class: "trend-note muted" }, note));
      return fig;
    });
    replace(grid, ...figures);
    loadChartLib()
      .then(({ Chart }) => {
        if (my !== drawSeq) return;
        charts = pending.map(([canvas, config]) => {
          const chart = new Chart(canvas, config);
          canvas.dataset.drawn = "true";
          return chart;
        });
      })
      .catch(() => {
        if (my === drawSeq) ctx.toast("The trend charts could not be drawn; the table below has every value.", "error");
      });
    el.dataset.period = period;
    el.dataset.units = JSON.stringify(loadUnitPrefs(localStorage));
  };

  const choose = (p: TrendPeriod) => {
    chosen = p;
    draw();
    status.textContent = `Trend charts show ${TREND_PERIODS.find(([x]) => x === p)?.[1] ?? p}.`;
  };

  const onTheme = () => draw();
  window.addEventListener(THEME_CHANGED_EVENT, onTheme);

  return {
    el,
    update: (vitals, dob, sex) => {
      last = { vitals, dob, sex };
      draw();
    },
    unitsChanged: () => {
      if (last && el.dataset.units !== JSON.stringify(loadUnitPrefs(localStorage))) draw();
    },
    destroy: () => {
      // a chart library still loading must not draw onto the closed screen
      drawSeq += 1;
      destroyCharts();
      window.removeEventListener(THEME_CHANGED_EVENT, onTheme);
    },
  };
}

// The schedule's time grid: one column per provider (a day) or per date (a week), a 15-minute
// slot grid, bookings sized by their length. Bookings move by drag and drop (HTML5 drag
// events) onto a slot, or by keyboard (Alt+arrows) — the screen does the moving.

import type { AppointmentRow } from "../bindings/AppointmentRow";
import type { ScheduleBlock } from "../bindings/ScheduleBlock";
import type { VisitType } from "../bindings/VisitType";
import { h } from "../dom";
import { KIND_LABEL, STATUS_LABEL } from "../lib/format";
import { fitsOpen, layoutLanes, minutesOfDay, timeOfMinutes, type OpenTime } from "../lib/slots";
import { utcToZoned, zonedToUtc } from "../lib/tz";
import { formatDayMonth, formatTime, longDateParts, showHour, showTime } from "../lib/locale";
import { canMove } from "../lib/workflow";
import { timeSpan } from "./schedule";

/** Pixels per 15 minutes. */
export const SLOT_PX = 24;

/** A column: a date and, in the whole-clinic day view, a provider (null: any provider). */
export interface GridColumn {
  date: string;
  providerId: string | null;
  title: string;
  /** Narrower (weekend days in the week view). */
  narrow?: boolean;
}

/** A slot of the grid: column index and minutes since midnight (clinic wall clock). */
export interface SlotRef {
  col: number;
  minutes: number;
}

/** What the grid needs from the screen. */
export interface GridOptions {
  columns: GridColumn[];
  rows: AppointmentRow[];
  tz: string;
  /** First and last minute of the day shown (multiples of 60). */
  startMinutes: number;
  endMinutes: number;
  /** Label bookings with their provider (the whole clinic's week). */
  showProvider: boolean;
  /**
   * Bookable time by provider (the clinic's hours meeting theirs, less blocks): slots outside
   * it are shaded. A column of no one provider is shaded where nobody can be booked. Null: no
   * shading (nothing read yet).
   */
  open: OpenTime | null;
  /** Closed dates and providers' blocks to label on the grid. */
  blocks: readonly ScheduleBlock[];
  /** Visit types by id: a booking is edged in its type's colour. */
  visitTypes: ReadonlyMap<string, VisitType>;
  canWrite: boolean;
  selected: SlotRef | null;
  /** A refused move to show next to its booking. */
  moveError: { id: string; text: string } | null;
  onSelect(slot: SlotRef): void;
  /** Enter or B on a slot, or a double click. */
  onBookAt(slot: SlotRef): void;
  /** Enter on a booking, the context-menu key, Shift+F10 or a right click. */
  onActions(row: AppointmentRow): void;
  /** M on a booking. */
  onMoveDialog(row: AppointmentRow): void;
  /** Alt+arrows on a booking: minutes and days to shift it by; or a column step. */
  onNudge(row: AppointmentRow, minutes: number, days: number, colStep: number): void;
  /** A booking dropped onto a slot. */
  onDrop(id: string, slot: SlotRef): void;
}

/** Only bookings whose visit has not started move (`AppointmentStatus::can_move`, as the core checks). */
export function movable(row: AppointmentRow): boolean {
  return canMove(row.appointment.record.status);
}

/** The column a booking belongs in, or -1 when it is not shown. */
export function columnOf(row: AppointmentRow, columns: GridColumn[], tz: string): number {
  const a = row.appointment.record;
  const d = utcToZoned(a.starts_at, tz).date;
  return columns.findIndex((c) => c.date === d && (c.providerId === null || c.providerId === a.provider_id));
}

/**
 * Where a booking sits among `lanes` overlapping ones: two side by side; more cascade, each
 * 16 px to the right of the one before and as wide as the column allows, so none shrinks to an
 * unreadable sliver (the one on top is whole; hover or focus names each).
 */
export function laneStyle(lane: number, lanes: number): string {
  if (lanes <= 2) return `left:calc(${(lane / lanes) * 100}% + 2px);width:calc(${100 / lanes}% - 4px);z-index:${1 + lane}`;
  // many lanes in a narrow column: the step shrinks so every booking keeps half the width
  const step = 16;
  return `left:min(${2 + lane * step}px, ${(lane / lanes) * 50}%);width:max(50%, calc(100% - ${4 + (lanes - 1) * step}px));z-index:${1 + lane}`;
}

/** Builds the grid. The element scrolls inside itself (not the page). */
export function renderGrid(o: GridOptions): HTMLElement {
  const slots = (o.endMinutes - o.startMinutes) / 15;
  // many columns (a week, a large clinic): the start time only, so the name has room
  const compact = o.columns.length > 3;
  const height = slots * SLOT_PX;
  // a week (seven columns) fits a 1280-pixel screen without sideways scrolling; a day with
  // many providers scrolls, each column kept readable
  const wide = compact ? "minmax(7rem, 1fr)" : "minmax(9.5rem, 1fr)";
  const slim = compact ? "minmax(5rem, 0.6fr)" : "minmax(7rem, 0.6fr)";
  const template = ["4.2rem", ...o.columns.map((c) => (c.narrow ? slim : wide))].join(" ");
  const head = h(
    "div",
    { class: "sg-head", style: `grid-template-columns: ${template}` },
    h("div", { class: "sg-corner" }),
    o.columns.map((c) => h("div", { class: "sg-col-title", "data-testid": "grid-column-title", title: c.title }, c.title)),
  );
  const times = h(
    "div",
    { class: "sg-times", "aria-hidden": "true", style: `height:${height}px` },
    Array.from({ length: (o.endMinutes - o.startMinutes) / 60 }, (_, i) => h("div", { class: "sg-hour", style: `height:${SLOT_PX * 4}px` }, showHour(timeOfMinutes(o.startMinutes + i * 60)))),
  );
  const bookable = (c: GridColumn, minutes: number): boolean => {
    if (!o.open) return true;
    const startMs = Date.parse(zonedToUtc(c.date, timeOfMinutes(minutes), o.tz));
    const endMs = startMs + 15 * 60_000;
    if (c.providerId) return fitsOpen(o.open[c.providerId] ?? [], startMs, endMs);
    return Object.values(o.open).some((spans) => fitsOpen(spans, startMs, endMs));
  };
  const cols = o.columns.map((c, ci) => {
    const col = h("div", { class: `sg-col ${c.narrow ? "sg-narrow" : ""}`, style: `height:${height}px`, "data-col": String(ci), role: "group", "aria-label": c.title });
    for (let i = 0; i < slots; i++) {
      const minutes = o.startMinutes + i * 15;
      const sel = o.selected && o.selected.col === ci && o.selected.minutes === minutes;
      const closed = !bookable(c, minutes);
      const cell = h("div", {
        class: `sg-slot ${minutes % 60 === 0 ? "sg-slot-hour" : ""} ${sel ? "sg-selected" : ""} ${closed ? "sg-closed" : ""}`,
        style: `height:${SLOT_PX}px`,
        role: "button",
        tabindex: sel ? "0" : "-1",
        "data-testid": "grid-slot",
        "data-col": String(ci),
        "data-minutes": String(minutes),
        "data-date": c.date,
        "data-time": timeOfMinutes(minutes),
        "data-closed": closed ? "true" : "false",
        "aria-label": closed
          ? `${c.title}, ${showTime(timeOfMinutes(minutes))}: outside the hours (Enter or B to book anyway, with a reason)`
          : `${c.title}, ${showTime(timeOfMinutes(minutes))}: press Enter or B to book here`,
      });
      col.appendChild(cell);
    }
    // closed dates and blocks, labelled where they fall (under the bookings)
    const dayStart = Date.parse(zonedToUtc(c.date, timeOfMinutes(o.startMinutes), o.tz));
    const dayEnd = dayStart + (o.endMinutes - o.startMinutes) * 60_000;
    for (const b of o.blocks) {
      if (b.deleted) continue;
      if (b.provider_id !== null && b.provider_id !== c.providerId) continue;
      const from = Math.max(Date.parse(b.starts_at), dayStart);
      const to = Math.min(Date.parse(b.ends_at), dayEnd);
      if (to <= from) continue;
      const top = ((from - dayStart) / 60_000 / 15) * SLOT_PX;
      const px = Math.max(SLOT_PX - 2, ((to - from) / 60_000 / 15) * SLOT_PX - 2);
      col.appendChild(
        h(
          "div",
          { class: `sg-block sg-block-${b.kind}`, style: `top:${top}px;height:${px}px`, "data-testid": "grid-block", "data-block-id": b.id, title: b.reason },
          h("span", { class: "sg-block-text" }, b.provider_id === null ? `Closed: ${b.reason}` : b.reason),
        ),
      );
    }
    return col;
  });
  // nothing selected yet: the first slot of the first column takes the Tab stop
  if (!o.selected) cols[0]?.querySelector(".sg-slot")?.setAttribute("tabindex", "0");

  const byCol = new Map<number, AppointmentRow[]>();
  for (const r of o.rows) {
    const ci = columnOf(r, o.columns, o.tz);
    if (ci < 0) continue;
    byCol.set(ci, [...(byCol.get(ci) ?? []), r]);
  }
  const topOf = (iso: string, date: string) => {
    const w = utcToZoned(iso, o.tz);
    // a booking that started the day before (cannot happen in a day column) stays at the top
    const m = w.date === date ? (minutesOfDay(w.time) ?? 0) : 0;
    return ((m - o.startMinutes) / 15) * SLOT_PX;
  };
  for (const [ci, list] of byCol) {
    const col = cols[ci];
    const column = o.columns[ci];
    if (!col || !column) continue;
    const startMs = (r: AppointmentRow) => Date.parse(r.appointment.record.starts_at);
    const endMs = (r: AppointmentRow) => startMs(r) + r.appointment.record.duration_minutes * 60_000;
    for (const p of layoutLanes(list, startMs, endMs)) {
      const r = p.item;
      const a = r.appointment.record;
      const top = Math.max(0, topOf(a.starts_at, column.date));
      const px = Math.max(SLOT_PX - 2, (a.duration_minutes / 15) * SLOT_PX - 2);
      const move = o.canWrite && movable(r);
      const inactive = a.status === "cancelled" || a.status === "no_show";
      const label = `${timeSpan(a.starts_at, a.duration_minutes, o.tz)}, ${r.patient_name || "unknown patient"}, ${KIND_LABEL[a.kind]}, ${STATUS_LABEL[a.status]}${o.showProvider ? `, with ${r.provider_name}` : ""}${a.outside_hours_reason ? `, booked outside the hours: ${a.outside_hours_reason}` : ""}`;
      const block = h(
        "div",
        {
          class: `sg-appt ${a.visit_type_id && o.visitTypes.has(a.visit_type_id) ? `vt-${o.visitTypes.get(a.visit_type_id)?.colour}` : ""} sg-status-${a.status} ${inactive ? "sg-inactive" : ""} ${r.appointment.pending ? "sg-pending" : ""} ${r.appointment.rejected ? "sg-rejected" : ""}`,
          style: `top:${top}px;height:${px}px;${laneStyle(p.lane, p.lanes)}`,
          tabindex: "0",
          role: "button",
          // the accessible name is the visible text (WCAG 2.5.3); the keys are its description
          "aria-describedby": move ? "sg-hint-move" : "sg-hint-actions",
          "data-testid": "grid-appt",
          "data-appointment-id": a.id,
          "data-status": a.status,
          "data-time": utcToZoned(a.starts_at, o.tz).time,
          "data-date": utcToZoned(a.starts_at, o.tz).date,
          draggable: move ? "true" : "false",
        },
        // two lines (time and patient; status, kind, provider) when there is room, else one
        // line that still shows the status in words
        ...(px >= 28
          ? [
              h("div", { class: "sg-line" }, h("span", { class: "sg-appt-time" }, compact ? formatTime(a.starts_at, o.tz) : timeSpan(a.starts_at, a.duration_minutes, o.tz)), " ", h("strong", { class: "sg-appt-name" }, r.patient_name || "Unknown patient")),
              h(
                "div",
                { class: "sg-line" },
                h("span", { class: `status status-${a.status} sg-appt-status`, "data-testid": "grid-appt-status" }, STATUS_LABEL[a.status]),
                r.appointment.pending ? h("span", { class: "badge", title: "Not yet on the server" }, "pending") : null,
                a.outside_hours_reason ? h("span", { class: "badge badge-warn", "data-testid": "grid-appt-outside-hours", title: `Booked outside the hours: ${a.outside_hours_reason}` }, "outside hours") : null,
                h("span", { class: "sg-appt-kind" }, ` ${KIND_LABEL[a.kind]}`),
                o.showProvider ? h("span", { class: "sg-appt-provider" }, ` · ${r.provider_name}`) : null,
              ),
            ]
          : [
              h(
                "div",
                { class: "sg-line" },
                h("span", { class: "sg-appt-time" }, formatTime(a.starts_at, o.tz)),
                " ",
                h("span", { class: `status status-${a.status} sg-appt-status`, "data-testid": "grid-appt-status" }, STATUS_LABEL[a.status]),
                " ",
                h("strong", { class: "sg-appt-name" }, r.patient_name || "Unknown patient"),
                o.showProvider ? h("span", { class: "sg-appt-provider" }, ` · ${r.provider_name}`) : null,
              ),
            ]),
      );
      block.title = label;
      col.appendChild(block);
      if (o.moveError && o.moveError.id === a.id) {
        col.appendChild(
          h(
            "div",
            { class: "sg-move-error", role: "alert", "data-testid": "move-error", style: `top:${top + px + 2}px` },
            o.moveError.text,
          ),
        );
      }
    }
  }

  const body = h("div", { class: "sg-body", style: `grid-template-columns: ${template}` }, times, ...cols);
  const el = h(
    "div",
    { class: "sched-grid", "data-testid": "schedule-grid", tabindex: "-1" },
    h("span", { id: "sg-hint-move", hidden: true }, "Alt+arrows move it; Enter for actions"),
    h("span", { id: "sg-hint-actions", hidden: true }, "Enter for actions"),
    head,
    body,
  );
  const rowOf = (id: string | undefined) => o.rows.find((r) => r.appointment.record.id === id);
  const slotOf = (t: HTMLElement): SlotRef | null => {
    const cell = t.closest<HTMLElement>(".sg-slot");
    if (!cell) return null;
    return { col: Number(cell.dataset.col), minutes: Number(cell.dataset.minutes) };
  };

  el.addEventListener("click", (e) => {
    // a booking is a button: a click (also a screen reader's or voice control's) opens its actions
    const b = (e.target as HTMLElement).closest<HTMLElement>(".sg-appt");
    const r = rowOf(b?.dataset.appointmentId);
    if (r) {
      o.onActions(r);
      return;
    }
    const s = slotOf(e.target as HTMLElement);
    if (s) o.onSelect(s);
  });
  el.addEventListener("dblclick", (e) => {
    const s = slotOf(e.target as HTMLElement);
    if (s && o.canWrite) o.onBookAt(s);
  });
  el.addEventListener("contextmenu", (e) => {
    const b = (e.target as HTMLElement).closest<HTMLElement>(".sg-appt");
    const r = rowOf(b?.dataset.appointmentId);
    if (r) {
      e.preventDefault();
      o.onActions(r);
    }
  });
  el.addEventListener("keydown", (e) => {
    const t = e.target as HTMLElement;
    const b = t.closest<HTMLElement>(".sg-appt");
    const r = rowOf(b?.dataset.appointmentId);
    if (r) {
      const arrows: Record<string, [number, number, number]> = {
        ArrowUp: [-15, 0, 0],
        ArrowDown: [15, 0, 0],
        ArrowLeft: [0, -1, -1],
        ArrowRight: [0, 1, 1],
      };
      const step = arrows[e.key];
      if (e.altKey && !e.ctrlKey && step) {
        e.preventDefault();
        e.stopPropagation();
        if (o.canWrite) o.onNudge(r, step[0], step[1], step[2]);
        return;
      }
      if (e.key === "Enter" || e.key === " " || e.key === "ContextMenu" || (e.shiftKey && e.key === "F10")) {
        e.preventDefault();
        e.stopPropagation();
        o.onActions(r);
        return;
      }
      if ((e.key === "m" || e.key === "M") && !e.altKey && !e.ctrlKey && o.canWrite && movable(r)) {
        e.preventDefault();
        e.stopPropagation();
        o.onMoveDialog(r);
      }
      return;
    }
    const s = slotOf(t);
    if (!s) return;
    if ((e.key === "Enter" || e.key === "b" || e.key === "B") && !e.altKey && !e.ctrlKey) {
      e.preventDefault();
      e.stopPropagation();
      if (o.canWrite) o.onBookAt(s);
      return;
    }
    if (e.altKey || e.ctrlKey) return;
    let next: SlotRef | null = null;
    if (e.key === "ArrowUp" && s.minutes > o.startMinutes) next = { col: s.col, minutes: s.minutes - 15 };
    if (e.key === "ArrowDown" && s.minutes + 15 < o.endMinutes) next = { col: s.col, minutes: s.minutes + 15 };
    if (e.key === "ArrowLeft" && s.col > 0) next = { col: s.col - 1, minutes: s.minutes };
    if (e.key === "ArrowRight" && s.col < o.columns.length - 1) next = { col: s.col + 1, minutes: s.minutes };
    if (next) {
      e.preventDefault();
      e.stopPropagation();
      o.onSelect(next);
    }
  });

  // drag and drop: the booking's id travels in the drag data; a slot accepts it
  let dragging: string | null = null;
  el.addEventListener("dragstart", (e) => {
    const b = (e.target as HTMLElement).closest<HTMLElement>(".sg-appt");
    if (!b || b.getAttribute("draggable") !== "true" || !e.dataTransfer) return;
    dragging = b.dataset.appointmentId ?? null;
    e.dataTransfer.setData("text/plain", dragging ?? "");
    e.dataTransfer.effectAllowed = "move";
    b.classList.add("sg-dragging");
  });
  el.addEventListener("dragend", (e) => {
    (e.target as HTMLElement).closest?.(".sg-appt")?.classList.remove("sg-dragging");
    el.querySelectorAll(".sg-drop").forEach((x) => x.classList.remove("sg-drop"));
    dragging = null;
  });
  const slotUnder = (e: DragEvent): HTMLElement | null => {
    const t = e.target as HTMLElement;
    const direct = t.closest<HTMLElement>(".sg-slot");
    if (direct) return direct;
    // over another booking: the slot of that column at the pointer's height
    const col = t.closest<HTMLElement>(".sg-col");
    if (!col) return null;
    const y = e.clientY - col.getBoundingClientRect().top;
    const i = Math.max(0, Math.min(slots - 1, Math.floor(y / SLOT_PX)));
    return col.querySelectorAll<HTMLElement>(".sg-slot")[i] ?? null;
  };
  el.addEventListener("dragover", (e) => {
    if (!dragging) return;
    const cell = slotUnder(e);
    if (!cell) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
    el.querySelectorAll(".sg-drop").forEach((x) => x !== cell && x.classList.remove("sg-drop"));
    cell.classList.add("sg-drop");
  });
  el.addEventListener("drop", (e) => {
    const cell = slotUnder(e);
    const id = e.dataTransfer?.getData("text/plain") || dragging;
    if (!cell || !id) return;
    e.preventDefault();
    cell.classList.remove("sg-drop");
    o.onDrop(id, { col: Number(cell.dataset.col), minutes: Number(cell.dataset.minutes) });
  });
  return el;
}

/** The instant of a slot (RFC 3339) in the clinic's zone. */
export function slotInstant(column: GridColumn, minutes: number, tz: string): string {
  return zonedToUtc(column.date, timeOfMinutes(minutes), tz);
}

/** A column title: "Tue 1 Jul" (or "Tue Jul 1" month first) for a week, the provider's name for a day. */
export function dayTitle(date: string): string {
  const p = longDateParts(date);
  return p ? `${p.weekday.slice(0, 3)} ${formatDayMonth(date)}` : date;
}

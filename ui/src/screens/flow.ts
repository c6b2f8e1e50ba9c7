// The waiting room: the clinic's day on one board, every provider — who is waiting and for how
// long, who is in which room, who is with the clinician, who is late or has not arrived, who is
// done. Every role opens it; it updates live from the feed (the server is never polled; every
// 30 s the board is re-read from this computer's cache, so waiting and late times move on).
// Keyboard: ↑/↓ between visits, Enter takes the next step (finishing a visit needs its button),
// R chooses a room, 1–9 picks a free room, 0 back to the waiting room.

import { nowMs } from "../lib/clock";
import { api } from "../api";
import type { AppointmentStatus } from "../bindings/AppointmentStatus";
import type { CommandError } from "../bindings/CommandError";
import type { FlowBoard } from "../bindings/FlowBoard";
import type { FlowRow } from "../bindings/FlowRow";
import type { FlowState } from "../bindings/FlowState";
import { h, replace, replaceKeepingFocus } from "../dom";
import { formatAge } from "../lib/dates";
import { SEX_LABEL } from "../lib/format";
import { formatLongDate, formatTime } from "../lib/locale";
import type { Ctx, Screen } from "../ui/context";
import { syncBadges } from "./common";
import { waitingText } from "./today";

/** The state in words, as the board shows it. */
export const FLOW_LABEL: Record<FlowState, string> = {
  waiting: "Waiting",
  in_room: "In room",
  with_clinician: "With clinician",
  late: "Late",
  not_arrived: "Not arrived",
  expected: "Expected",
  done: "Completed",
};

/** The next step of a visit on the board: its button's words and the status it leads to (null: choose a room). */
export function nextStep(state: FlowState): { label: string; to: AppointmentStatus | null } | null {
  switch (state) {
    case "expected":
    case "late":
    case "not_arrived":
      return { label: "Check in", to: "checked_in" };
    case "waiting":
      return { label: "To a room…", to: null };
    case "in_room":
      return { label: "Start visit", to: "in_progress" };
    case "with_clinician":
      return { label: "Finish visit", to: "completed" };
    case "done":
      return null;
  }
}

/** How long, in words: waiting since check-in, late since the booked start. */
export function stateDetail(f: FlowRow, now: number): string {
  const a = f.row.appointment.record;
  if (f.state === "waiting" && a.checked_in_at) return waitingText(now - Date.parse(a.checked_in_at));
  if (f.state === "late") return `${waitingText(now - Date.parse(a.starts_at))} late`;
  if (f.state === "in_room" && f.room_name) return f.room_name;
  if (f.state === "with_clinician" && f.room_name) return f.room_name;
  return "";
}

/** The waiting room screen (Alt+W). */
export function flowScreen(ctx: Ctx): Screen {
  const canWrite = ctx.can("appointment_write");
  const dateLine = h("span", { class: "muted", "data-testid": "flow-date" });
  const summary = h("p", { class: "muted", "data-testid": "flow-summary", "aria-live": "polite" });
  const roomsLine = h("ul", { class: "room-strip", "data-testid": "flow-rooms", "aria-label": "Rooms" });
  const err = h("div", { class: "banner banner-error", role: "alert", "data-testid": "flow-error" });
  err.hidden = true;
  const tbody = h("tbody");
  const el = h(
    "section",
    { class: "screen flow-screen", "aria-labelledby": "flow-title", "data-testid": "flow-screen" },
    h("div", { class: "screen-head" }, h("h1", { id: "flow-title", tabindex: "-1" }, "Waiting room ", dateLine)),
    err,
    summary,
    roomsLine,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data-table flow-table", "data-testid": "flow-rows", "aria-labelledby": "flow-title", "aria-describedby": "flow-keys" },
        h("thead", null, h("tr", null, ...["Booked", "Patient", "Age / sex", "Provider", "State", "Room", "Next"].map((c) => h("th", { scope: "col" }, c)))),
        tbody,
      ),
    ),
    h("p", { class: "muted small", id: "flow-keys" }, canWrite ? "↑/↓ choose a visit · Enter takes the next step · R chooses a room · 1–9 picks a room · 0 back to the waiting room" : "↑/↓ choose a visit"),
  );
  let board: FlowBoard = { rows: [], rooms: [] };
  let seq = 0;
  const busy = new Set<string>();

  const fail = (text: string) => {
    err.textContent = text;
    err.hidden = false;
  };

  const act = async (f: FlowRow, run: () => Promise<unknown>, done: string) => {
    const a = f.row.appointment.record;
    busy.add(a.id);
    render();
    try {
      await run();
      err.hidden = true;
      ctx.toast(done, "success");
    } catch (e) {
      fail(`${f.row.patient_name}: ${(e as CommandError).message}`);
    } finally {
      busy.delete(a.id);
      await load();
      focusRow(a.id);
    }
  };

  const setStatus = (f: FlowRow, to: AppointmentStatus) => act(f, () => api.setAppointmentStatus(f.row.appointment.record.id, to, null), `${f.row.patient_name}: ${to === "checked_in" ? "checked in" : to === "in_progress" ? "with the clinician" : "done"}.`);

  const setRoom = (f: FlowRow, roomId: string | null) => {
    const name = board.rooms.find((r) => r.room.id === roomId)?.room.name;
    return act(f, () => api.setAppointmentRoom(f.row.appointment.record.id, roomId), roomId ? `${f.row.patient_name}: to ${name ?? "the room"}.` : `${f.row.patient_name}: back to the waiting room.`);
  };

  const roomSelect = (f: FlowRow) => {
    const a = f.row.appointment.record;
    const sel = h(
      "select",
      { "data-testid": "flow-room", "aria-label": `Room for ${f.row.patient_name}`, disabled: busy.has(a.id) || !canWrite },
      h("option", { value: "" }, f.state === "with_clinician" ? "No room" : "Waiting room"),
      board.rooms.map((r) => {
        const taken = r.appointment_id !== null && r.appointment_id !== a.id;
        return h("option", { value: r.room.id, selected: a.room_id === r.room.id }, `${r.room.name}${taken ? " (in use)" : ""}`);
      }),
      // a room taken out of use while the patient is in it still shows where they are
      a.room_id && !board.rooms.some((r) => r.room.id === a.room_id) ? h("option", { value: a.room_id, selected: true }, `${f.room_name ?? "A room"} (out of use)`) : null,
    ) as HTMLSelectElement;
    sel.value = a.room_id ?? "";
    sel.addEventListener("change", () => void setRoom(f, sel.value || null));
    return sel;
  };

  const focusRow = (id: string) => {
    tbody.querySelector<HTMLElement>(`tr[data-appointment-id="${id}"] [data-testid="flow-patient"]`)?.focus();
  };

  const render = () => {
    const now = nowMs();
    dateLine.textContent = `· ${formatLongDate(ctx.today())}`;
    const count = (s: FlowState) => board.rows.filter((r) => r.state === s).length;
    // only what is there: "0 late" beside "2 not arrived" read as a contradiction
    const parts: [FlowState, string][] = [
      ["waiting", "waiting"],
      ["in_room", "in a room"],
      ["with_clinician", "with a clinician"],
      ["late", "late"],
      ["not_arrived", "not arrived"],
      ["expected", "expected"],
      ["done", "completed"],
    ];
    const text = parts
      .map(([s, words]) => [count(s), words] as const)
      .filter(([n]) => n > 0)
      .map(([n, words]) => `${n} ${words}`)
      .join(" · ");
    if (summary.textContent !== text) summary.textContent = text;
    replace(
      roomsLine,
      board.rooms.length === 0
        ? h("li", { class: "muted" }, ctx.can("schedule_manage") ? "No rooms yet: add them under Opening hours → Rooms." : "No rooms yet: an administrator adds them.")
        : board.rooms.map((r, i) => {
            const who = board.rows.find((f) => f.row.appointment.record.id === r.appointment_id);
            return h(
              "li",
              { class: `room-chip ${who ? "room-busy" : "room-free"}`, "data-testid": "flow-room-chip", "data-room-id": r.room.id },
              h("strong", null, `${i < 9 ? `${i + 1} · ` : ""}${r.room.name}`),
              " ",
              who ? `${who.row.patient_name} (${FLOW_LABEL[who.state].toLowerCase()})` : "free",
            );
          }),
    );
    replaceKeepingFocus(
      tbody,
      "data-appointment-id",
      board.rows.length === 0
        ? h("tr", { class: "empty-row" }, h("td", { colspan: 7, "data-testid": "flow-empty" }, "No visits today."))
        : board.rows.map((f) => {
            const a = f.row.appointment.record;
            const next = nextStep(f.state);
            const detail = stateDetail(f, now);
            return h(
              "tr",
              { "data-testid": "flow-row", "data-appointment-id": a.id, "data-state": f.state, class: `flow-${f.state}` },
              h("td", { class: "nowrap num" }, formatTime(a.starts_at, ctx.tz)),
              h(
                "td",
                { class: "patient-cell" },
                h("button", { type: "button", class: "link-btn", "data-testid": "flow-patient", onclick: () => ctx.open({ name: "chart", patientId: a.patient_id }) }, f.row.patient_name || "Unknown patient"),
                " ",
                h("span", { class: "mono muted" }, `(${f.row.patient_mrn})`),
              ),
              h("td", null, f.row.patient_date_of_birth ? formatAge(f.row.patient_date_of_birth, ctx.today()) : "", f.row.patient_sex ? ` · ${SEX_LABEL[f.row.patient_sex]}` : ""),
              h("td", null, f.row.provider_name),
              h(
                "td",
                null,
                h("span", { class: `flow-state flow-state-${f.state}`, "data-testid": "flow-state" }, FLOW_LABEL[f.state]),
                detail ? h("span", { class: "muted small", "data-testid": "flow-detail" }, ` ${detail}`) : null,
                ...syncBadges(f.row.appointment),
              ),
              h("td", null, f.state === "waiting" || f.state === "in_room" || f.state === "with_clinician" ? roomSelect(f) : ""),
              h(
                "td",
                { class: "actions-cell" },
                canWrite && next
                  ? h(
                      "button",
                      {
                        type: "button",
                        class: "btn btn-small btn-primary",
                        "data-testid": "flow-next",
                        disabled: busy.has(a.id),
                        "aria-label": `${next.label}: ${f.row.patient_name}`,
                        onclick: () => (next.to ? void setStatus(f, next.to) : tbody.querySelector<HTMLSelectElement>(`tr[data-appointment-id="${a.id}"] [data-testid="flow-room"]`)?.focus()),
                      },
                      next.label,
                    )
                  : null,
              ),
            );
          }),
    );
  };

  tbody.addEventListener("keydown", (e) => {
    const t = e.target as HTMLElement;
    const tr = t.closest<HTMLTableRowElement>("tr[data-appointment-id]");
    if (!tr) return;
    const f = board.rows.find((r) => r.row.appointment.record.id === tr.dataset.appointmentId);
    if (!f) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (t.tagName === "SELECT") return;
      e.preventDefault();
      const rows = [...tbody.querySelectorAll<HTMLTableRowElement>("tr[data-appointment-id]")];
      const i = rows.indexOf(tr);
      const to = rows[e.key === "ArrowDown" ? Math.min(rows.length - 1, i + 1) : Math.max(0, i - 1)];
      to?.querySelector<HTMLElement>('[data-testid="flow-patient"]')?.focus();
      return;
    }
    if (!canWrite || t.tagName === "SELECT") return;
    const inBuilding = f.state === "waiting" || f.state === "in_room" || f.state === "with_clinician";
    if (e.key === "Enter" && t.dataset.testid === "flow-patient" && !e.ctrlKey) {
      // Enter on the name takes the next step (a click opens the chart); finishing a visit is
      // never a key press away: Enter goes to its Done button
      const next = nextStep(f.state);
      if (!next) return;
      e.preventDefault();
      if (next.to === "completed") tr.querySelector<HTMLButtonElement>('[data-testid="flow-next"]')?.focus();
      else if (next.to) void setStatus(f, next.to);
      else tr.querySelector<HTMLSelectElement>('[data-testid="flow-room"]')?.focus();
    } else if ((e.key === "r" || e.key === "R") && inBuilding) {
      e.preventDefault();
      tr.querySelector<HTMLSelectElement>('[data-testid="flow-room"]')?.focus();
    } else if (/^[0-9]$/.test(e.key) && inBuilding) {
      e.preventDefault();
      const n = Number(e.key);
      if (n === 0) void setRoom(f, null);
      else {
        const room = board.rooms[n - 1];
        const taken = room && room.appointment_id !== null && room.appointment_id !== f.row.appointment.record.id;
        if (taken) fail(`${room.room.name} is in use: choose it from the list to share it, or pick a free room.`);
        else if (room) void setRoom(f, room.room.id);
      }
    }
  });

  const load = async () => {
    const my = ++seq;
    try {
      const result = await api.flowBoard();
      if (my !== seq) return;
      board = result;
      // a room list someone has open is not redrawn under them; it is once they leave it
      const open = document.activeElement;
      if (open instanceof HTMLSelectElement && tbody.contains(open)) {
        open.addEventListener("blur", () => render(), { once: true });
        return;
      }
      render();
    } catch (e) {
      if (my !== seq) return;
      fail(`Could not load the waiting room: ${(e as CommandError).message}`);
    }
  };
  render();
  void load();
  // waiting and late times move on by themselves, a booking past its start becomes late, and
  // after midnight the board is the new day's (re-read from the cache, not the server)
  const timer = setInterval(() => void load(), 30_000);

  return {
    el,
    title: "Waiting room",
    focus: () => (el.querySelector<HTMLElement>('[data-testid="flow-patient"]') ?? el.querySelector<HTMLElement>("h1"))?.focus(),
    refresh: (entities) => {
      if (entities.some((x) => x === "appointment" || x === "patient" || x === "room" || x === "user")) void load();
    },
    destroy: () => clearInterval(timer),
  };
}

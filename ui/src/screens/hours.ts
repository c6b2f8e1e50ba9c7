// Administration → Opening hours: the clinic's opening hours, each provider's working hours,
// closed dates and blocks (leave, meetings), and the rooms patients are shown to. Saved on the server (online); every workstation
// gets them through the feed, and bookings outside them are refused with the reason named.

import { api } from "../api";
import { RULES } from "../bindings/rules";
import type { Availability } from "../bindings/Availability";
import type { AvailabilityView } from "../bindings/AvailabilityView";
import type { AvailableTime } from "../bindings/AvailableTime";
import type { BlockKind } from "../bindings/BlockKind";
import type { CommandError } from "../bindings/CommandError";
import type { NewScheduleBlock } from "../bindings/NewScheduleBlock";
import type { Room } from "../bindings/Room";
import type { AppointmentKind } from "../bindings/AppointmentKind";
import type { VisitColour } from "../bindings/VisitColour";
import type { VisitType } from "../bindings/VisitType";
import type { ScheduleBlock } from "../bindings/ScheduleBlock";
import { h, replace } from "../dom";
import { KIND_LABEL, ROLE_LABEL } from "../lib/format";
import { formatStretches, parseStretches, weekInClinicOrder } from "../lib/hours";
import { addDays, utcToZoned, zonedToUtc } from "../lib/tz";
import { formatLongDate, parseDate, parseTime, showTime } from "../lib/locale";
import type { Ctx, Screen } from "../ui/context";
import { confirmAction } from "../ui/confirm";
import { banner, dateInput, field, select, setBanner, showFieldErrors, textInput, type Field } from "../ui/forms";
import { providers } from "./schedule";
import { adminErrorText } from "./users";

const KIND_NAME: Record<BlockKind, string> = {
  holiday: "Holiday",
  lunch: "Lunch",
  leave: "Leave",
  meeting: "Meeting",
  other: "Other",
};

/** The colours a visit type may have (the model's VisitColour). */
const COLOURS: readonly VisitColour[] = RULES.visit_colours;

/** Days read for the hours (the core's longest range; only the weekly hours are used). */
const HOURS_AHEAD = 6;

export function hoursScreen(ctx: Ctx): Screen {
  const heading = h("h1", { id: "hours-title", tabindex: -1 }, "Opening hours");
  const err = banner("hours-error");
  const body = h("div", { "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
  const el = h(
    "section",
    { class: "screen hours-screen form-screen", "data-testid": "hours-screen", "aria-labelledby": "hours-title" },
    h("div", { class: "screen-head" }, heading),
    h("p", { class: "muted" }, `Clinic time (${ctx.tz}), 24-hour. Type each day's hours like 08:00–12:00, 13:00–17:00; leave a day blank when closed. Bookings outside the hours are refused on every workstation, unless a physician or an administrator books them on purpose with a reason.`),
    err,
    body,
  );
  let provider = providers(ctx.staff())[0]?.id ?? "";
  let view: AvailabilityView | null = null;
  let blocksAhead: ScheduleBlock[] = [];
  // a section with something typed and not saved yet is kept as it is when the screen is
  // redrawn (a save elsewhere, another administrator's change arriving live)
  type Section = "clinic" | "provider" | "blocks" | "rooms" | "types";
  const dirty: Record<Section, boolean> = { clinic: false, provider: false, blocks: false, rooms: false, types: false };
  const shown: Partial<Record<Section, HTMLElement>> = {};
  const tracked = (key: Section, el: HTMLElement): HTMLElement => {
    el.addEventListener("input", () => (dirty[key] = true));
    el.addEventListener("change", (e) => {
      if ((e.target as HTMLElement).id !== "hours-provider") dirty[key] = true;
    });
    shown[key] = el;
    return el;
  };
  /**
   * Puts the sections in the body, touching only those that changed: a section kept because
   * something is being typed in it stays where it is (moving it would take the focus away
   * mid-word).
   */
  const place = (sections: HTMLElement[]) => {
    if (body.querySelector(":scope > p.muted")) replace(body);
    sections.forEach((el, i) => {
      const at = body.children[i];
      if (at === el) return;
      if (at) at.replaceWith(el);
      else body.appendChild(el);
    });
    while (body.children.length > sections.length) body.lastElementChild?.remove();
  };
  /** The section as last shown when it holds unsaved typing, else `make()`. */
  const section = (key: Section, make: () => HTMLElement): HTMLElement => {
    const old = shown[key];
    if (dirty[key] && old) return old;
    dirty[key] = false;
    return tracked(key, make());
  };
  let rooms: Room[] = [];
  let types: VisitType[] = [];

  /** A week editor: seven fields, Save and Clear. `owner`: null for the clinic. */
  const weekForm = (owner: string | null, current: Availability | null, testid: string, key: Section): HTMLElement => {
    const week = weekInClinicOrder();
    const fields: Field<HTMLInputElement>[] = week.map((d) =>
      // blank means closed once hours are set; before that, nothing is restricted
      field(textInput({ value: current ? formatStretches(current.available_time, d.day) : "", placeholder: owner ? (current ? "day off" : "") : current ? "closed" : "not set" }), {
        id: `${testid}-${d.day}`,
        name: d.day,
        label: d.name,
      }),
    );
    const formErr = banner(`${testid}-error`);
    const save = h("button", { type: "submit", class: "btn btn-primary", "data-testid": `${testid}-save` }, owner ? "Save working hours" : "Save opening hours");
    const clear = h(
      "button",
      { type: "button", class: "btn", "data-testid": `${testid}-clear`, disabled: !current },
      owner ? "Use the clinic's hours" : "Clear (any time bookable)",
    );
    const form = h("form", { class: "week-form", novalidate: true, "data-testid": testid }, h("div", { class: "week-grid" }, fields.map((f) => f.wrap)), formErr, h("div", { class: "form-actions" }, save, clear));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const times: AvailableTime[] = [];
      let first: Field<HTMLInputElement> | null = null;
      week.forEach((d, i) => {
        const f = fields[i];
        if (!f) return;
        const r = parseStretches(f.control.value, d.day);
        if ("error" in r) {
          f.setError(r.error);
          first ??= f;
        } else {
          f.setError(null);
          times.push(...r.times);
        }
      });
      if (first) {
        setBanner(formErr, "Nothing was saved: please correct the days marked in red.");
        (first as Field<HTMLInputElement>).control.focus();
        return;
      }
      if (!owner && times.length === 0) {
        setBanner(formErr, "Every day is blank: the clinic would be closed all week. Use Clear to make any time bookable instead.");
        return;
      }
      save.disabled = true;
      try {
        await api.setHours(owner, { available_time: times });
        dirty[key] = false;
        setBanner(formErr, null);
        ctx.toast(owner ? "Working hours saved." : "Opening hours saved.", "success");
        await load();
      } catch (raw) {
        setBanner(formErr, adminErrorText(raw as CommandError, "change the hours"));
      } finally {
        save.disabled = false;
      }
    });
    clear.addEventListener("click", async () => {
      clear.disabled = true;
      try {
        await api.clearHours(owner);
        dirty[key] = false;
        ctx.toast(owner ? "This provider now works whenever the clinic is open." : "Opening hours cleared: any time is bookable.", "success");
        await load();
      } catch (raw) {
        clear.disabled = false;
        setBanner(formErr, adminErrorText(raw as CommandError, "change the hours"));
      }
    });
    return form;
  };

  const blockForm = (): HTMLElement => {
    const list = providers(ctx.staff());
    const who = field(select([["", "Whole clinic (closed)"], ...list.map((s) => [s.id, `${s.full_name} (${ROLE_LABEL[s.role]})`] as [string, string])], ""), { id: "block-who", name: "provider_id", label: "Who" });
    const kind = field(select((Object.keys(KIND_NAME) as BlockKind[]).map((k) => [k, KIND_NAME[k]] as [string, string]), "holiday"), { id: "block-kind", name: "kind", label: "Kind" });
    const fromDate = field(dateInput(ctx.today()), { id: "block-from-date", name: "from_date", label: "From date", required: true });
    const fromTime = field(textInput({ placeholder: "start of day", inputmode: "numeric" }), { id: "block-from-time", name: "from_time", label: "From time", hint: "Blank: the whole day" });
    const toDate = field(dateInput(ctx.today()), { id: "block-to-date", name: "to_date", label: "To date", required: true });
    const toTime = field(textInput({ placeholder: "end of day", inputmode: "numeric" }), { id: "block-to-time", name: "to_time", label: "To time", hint: "Blank: to the end of that day" });
    const reason = field(textInput({ maxlength: 200 }), { id: "block-reason", name: "reason", label: "Reason", required: true, hint: "Shown on the schedule and when a booking is refused" });
    reason.wrap.classList.add("span-2");
    const formErr = banner("block-error");
    const add = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "block-add" }, "Add");
    const form = h("form", { class: "form-grid", novalidate: true, "data-testid": "block-form" }, who.wrap, kind.wrap, fromDate.wrap, fromTime.wrap, toDate.wrap, toTime.wrap, reason.wrap, h("div", { class: "span-2" }, formErr), h("div", { class: "form-actions span-2" }, add));
    who.control.addEventListener("change", () => {
      kind.control.value = who.control.value ? "leave" : "holiday";
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const fields = [fromDate, fromTime, toDate, toTime, reason];
      for (const f of fields) f.setError(null);
      let bad = false;
      const pfd = parseDate(fromDate.control.value);
      const ptd = parseDate(toDate.control.value);
      const fd = pfd.ok ? pfd.value : "";
      const td = ptd.ok ? ptd.value : "";
      const pft = fromTime.control.value.trim() ? parseTime(fromTime.control.value) : ({ ok: true, value: "00:00" } as const);
      const ptt = toTime.control.value.trim() ? parseTime(toTime.control.value) : null;
      const ft = pft.ok ? pft.value : null;
      const tt = ptt?.ok ? ptt.value : null;
      if (!pfd.ok) (fromDate.setError(pfd.error), (bad = true));
      if (!ptd.ok) (toDate.setError(ptd.error), (bad = true));
      if (!pft.ok) (fromTime.setError(`${pft.error}, or blank`), (bad = true));
      if (ptt && !ptt.ok) (toTime.setError(`${ptt.error}, or blank`), (bad = true));
      if (!reason.control.value.trim()) (reason.setError("is required: staff will read it on the schedule"), (bad = true));
      if (bad || !ft) return;
      const starts = zonedToUtc(fd, ft, ctx.tz);
      const ends = tt ? zonedToUtc(td, tt, ctx.tz) : zonedToUtc(addDays(td, 1), "00:00", ctx.tz);
      if (Date.parse(ends) <= Date.parse(starts)) {
        toDate.setError("must end after it starts");
        toDate.control.focus();
        return;
      }
      add.disabled = true;
      try {
        const block: NewScheduleBlock = { starts_at: starts, ends_at: ends, kind: kind.control.value as BlockKind, reason: reason.control.value.trim() };
        if (who.control.value) block.provider_id = who.control.value;
        const made = await api.addScheduleBlock(block);
        dirty.blocks = false;
        ctx.toast("Added. Bookings there are refused from now on; existing ones stay.", "success");
        // shown at once, as the server answered; the feed brings the same row to the cache
        held = { added: made, removed: null };
        await load();
      } catch (raw) {
        setBanner(formErr, adminErrorText(raw as CommandError, "block time"));
      } finally {
        add.disabled = false;
      }
    });
    return form;
  };

  const blockRow = (b: ScheduleBlock): HTMLElement => {
    const s = utcToZoned(b.starts_at, ctx.tz);
    const e = utcToZoned(b.ends_at, ctx.tz);
    const wholeDays = s.time === "00:00" && e.time === "00:00";
    const when = wholeDays
      ? addDays(e.date, -1) === s.date
        ? formatLongDate(s.date)
        : `${formatLongDate(s.date)} – ${formatLongDate(addDays(e.date, -1))}`
      : s.date === e.date
        ? `${formatLongDate(s.date)} ${showTime(s.time)}–${showTime(e.time)}`
        : `${formatLongDate(s.date)} ${showTime(s.time)} – ${formatLongDate(e.date)} ${showTime(e.time)}`;
    const who = b.provider_id ? (ctx.staff().find((m) => m.id === b.provider_id)?.full_name ?? "A former staff member") : "Whole clinic";
    const remove = h("button", { type: "button", class: "btn btn-small btn-quiet-danger", "data-testid": "block-remove" }, "Remove");
    remove.addEventListener("click", async () => {
      remove.disabled = true;
      try {
        await api.removeScheduleBlock(b.id);
        ctx.toast("Removed: that time is bookable again.", "success");
        held = { added: null, removed: b.id };
        await load();
      } catch (raw) {
        remove.disabled = false;
        setBanner(err, adminErrorText(raw as CommandError, "remove the block"));
      }
    });
    return h("tr", { "data-testid": "block-row", "data-block-id": b.id }, h("td", null, when), h("td", null, who), h("td", null, KIND_NAME[b.kind]), h("td", null, b.reason), h("td", null, remove));
  };

  const roomsPanel = (rooms: Room[]): HTMLElement => {
    const formErr = banner("room-error");
    const name = field(textInput({ maxlength: 60 }), { id: "room-name", name: "name", label: "New room", hint: "As staff say it: Room 3, Triage" });
    const add = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "room-add" }, "Add room");
    const form = h("form", { class: "stack-form narrow", novalidate: true, "data-testid": "room-form" }, name.wrap, formErr, h("div", { class: "form-actions" }, add));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      name.setError(null);
      if (!name.control.value.trim()) {
        name.setError("is required");
        name.control.focus();
        return;
      }
      add.disabled = true;
      try {
        await api.addRoom(name.control.value.trim());
        dirty.rooms = false;
        ctx.toast(`Room “${name.control.value.trim()}” added.`, "success");
        name.control.value = "";
        await load();
      } catch (raw) {
        const ce = raw as CommandError;
        if (ce.fields?.name) name.setError(ce.fields.name);
        else setBanner(formErr, adminErrorText(ce, "add rooms"));
        name.control.focus();
      } finally {
        add.disabled = false;
      }
    });
    const row = (r: Room) => {
      const toggle = h("button", { type: "button", class: "btn btn-small", "data-testid": "room-toggle" }, r.active ? "Take out of use" : "Back in use");
      toggle.addEventListener("click", async () => {
        toggle.disabled = true;
        try {
          await api.updateRoom(r.id, { active: !r.active });
          await load();
        } catch (raw) {
          toggle.disabled = false;
          setBanner(formErr, adminErrorText(raw as CommandError, "change rooms"));
        }
      });
      return h("tr", { "data-testid": "room-row", "data-room-id": r.id }, h("td", null, r.name), h("td", null, r.active ? "In use" : "Out of use"), h("td", null, toggle));
    };
    return h(
      "section",
      { class: "panel", "aria-labelledby": "hours-rooms" },
      h("h2", { id: "hours-rooms" }, "Rooms"),
      h("p", { class: "muted small" }, "Patients are shown to these rooms from the waiting room (Alt+W). A room out of use stays on past visits."),
      rooms.length === 0
        ? h("p", { class: "muted", "data-testid": "rooms-none" }, "No rooms yet.")
        : h(
            "table",
            { class: "data-table", "data-testid": "rooms-table" },
            h("thead", null, h("tr", null, h("th", null, "Room"), h("th", null, "State"), h("th", null, h("span", { class: "visually-hidden" }, "Actions")))),
            h("tbody", null, rooms.map(row)),
          ),
      form,
    );
  };

  const typesPanel = (list: VisitType[]): HTMLElement => {
    const formErr = banner("type-error");
    const name = field(textInput({ maxlength: 60 }), { id: "type-name", name: "name", label: "Name", required: true, hint: "As staff choose it: Weekly BP check" });
    const code = field(textInput({ maxlength: 20, autocapitalize: "characters" }), { id: "type-code", name: "code", label: "Code", required: true, hint: "2–20 capitals, digits or hyphens: BP-CHECK" });
    const kind = field(select(Object.entries(KIND_LABEL) as [string, string][], "follow_up"), { id: "type-kind", name: "kind", label: "Kind of visit" });
    const minutes = field(textInput({ value: "15", inputmode: "numeric" }), { id: "type-minutes", name: "default_minutes", label: "Usual length (minutes)", required: true });
    const colour = field(select(COLOURS.map((c) => [c, c[0]?.toUpperCase() + c.slice(1)] as [string, string]), "teal"), { id: "type-colour", name: "colour", label: "Colour on the schedule" });
    const add = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "type-add" }, "Add visit type");
    const fields = [name, code, kind, minutes, colour];
    const form = h("form", { class: "form-grid", novalidate: true, "data-testid": "type-form" }, ...fields.map((f) => f.wrap), h("div", { class: "span-2" }, formErr), h("div", { class: "form-actions span-2" }, add));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      for (const f of fields) f.setError(null);
      const m = /^\d+$/.test(minutes.control.value.trim()) ? Number(minutes.control.value.trim()) : NaN;
      add.disabled = true;
      try {
        await api.addVisitType({ name: name.control.value.trim(), code: code.control.value.trim().toUpperCase(), kind: kind.control.value as AppointmentKind, default_minutes: m, colour: colour.control.value as VisitColour });
        dirty.types = false;
        ctx.toast(`Visit type “${name.control.value.trim()}” added.`, "success");
        await load();
      } catch (raw) {
        const ce = raw as CommandError;
        const first = ce.fields ? showFieldErrors(fields, ce.fields, formErr) : null;
        if (!ce.fields) setBanner(formErr, adminErrorText(ce, "add visit types"));
        first?.control.focus();
      } finally {
        add.disabled = false;
      }
    });
    const row = (t: VisitType) => {
      const toggle = h("button", { type: "button", class: "btn btn-small", "data-testid": "type-toggle" }, t.active ? "Retire" : "Bring back");
      toggle.addEventListener("click", async () => {
        toggle.disabled = true;
        try {
          await api.updateVisitType(t.id, { active: !t.active });
          await load();
        } catch (raw) {
          toggle.disabled = false;
          setBanner(formErr, adminErrorText(raw as CommandError, "change visit types"));
        }
      });
      return h(
        "tr",
        { "data-testid": "type-row", "data-type-id": t.id },
        h("td", null, h("span", { class: `vt-swatch vt-${t.colour}`, "aria-hidden": "true" }), t.name),
        h("td", { class: "mono" }, t.code),
        h("td", null, KIND_LABEL[t.kind]),
        h("td", { class: "num" }, `${t.default_minutes} min`),
        h("td", null, t.active ? "In use" : "Retired"),
        h("td", null, toggle),
      );
    };
    return h(
      "section",
      { class: "panel", "aria-labelledby": "hours-types" },
      h("h2", { id: "hours-types" }, "Visit types"),
      h("p", { class: "muted small" }, "What the front desk books: choosing one sets the kind of visit and its usual length, and colours the booking on the schedule."),
      list.length === 0
        ? h("p", { class: "muted", "data-testid": "types-none" }, "None yet: bookings use the standard kinds of visit until you add the clinic's own.")
        : h(
        "table",
        { class: "data-table", "data-testid": "types-table" },
        h("thead", null, h("tr", null, ...["Visit type", "Code", "Kind", "Length", "State"].map((c) => h("th", { scope: "col" }, c)), h("th", null, h("span", { class: "visually-hidden" }, "Actions")))),
        h("tbody", null, list.map(row)),
      ),
      h("h3", { class: "section-title" }, "Add a visit type"),
      form,
    );
  };

  const render = () => {
    if (!view) return;
    const v = view;
    const list = providers(ctx.staff());
    if (!list.some((s) => s.id === provider)) provider = list[0]?.id ?? "";
    const providerPanel = () => {
      const providerSel = select(list.map((s) => [s.id, `${s.full_name} (${ROLE_LABEL[s.role]})`] as [string, string]), provider);
      providerSel.id = "hours-provider";
      providerSel.setAttribute("data-testid", "hours-provider");
      const providerHost = h("div", null);
      const showProvider = () => {
        const own = v.providers.find((a) => a.provider_id === provider) ?? null;
        replace(
          providerHost,
          h(
            "p",
            { class: "muted small", "data-testid": "hours-provider-note" },
            own
              ? "Their own hours (within the clinic's opening hours); a blank day is a day off."
              : "No hours of their own: they can be booked whenever the clinic is open. Once their week is saved, a blank day is a day off.",
          ),
          weekForm(provider, own, "hours-provider-week", "provider"),
        );
      };
      providerSel.addEventListener("change", async () => {
        if (dirty.provider) {
          const drop = await confirmAction({
            title: "Discard the hours typed?",
            text: "The hours typed for the provider shown are not saved yet. Show another provider and discard them?",
            confirmLabel: "Discard and switch",
            testid: "hours-discard",
            danger: true,
          });
          if (!drop) {
            providerSel.value = provider;
            return;
          }
        }
        provider = providerSel.value;
        dirty.provider = false;
        showProvider();
      });
      showProvider();
      return h(
        "section",
        { class: "panel", "aria-labelledby": "hours-providers" },
        h("h2", { id: "hours-providers" }, "Working hours"),
        h("label", { for: "hours-provider" }, "Provider "),
        providerSel,
        providerHost,
      );
    };
    const blocks = blocksAhead;
    place([
      section("clinic", () =>
        h(
          "section",
          { class: "panel", "aria-labelledby": "hours-clinic" },
          h("h2", { id: "hours-clinic" }, "Clinic opening hours"),
          v.clinic ? null : h("p", { class: "banner banner-info", "data-testid": "hours-unset" }, "No opening hours are set: any time of any day can be booked."),
          weekForm(null, v.clinic, "hours-clinic-week", "clinic"),
        ),
      ),
      section("provider", providerPanel),
      section("blocks", () => h(
        "section",
        { class: "panel", "aria-labelledby": "hours-blocks" },
        h("h2", { id: "hours-blocks" }, "Closed dates and blocks"),
        blocks.length === 0
          ? h("p", { class: "muted", "data-testid": "blocks-none" }, "None ahead.")
          : h(
              "table",
              { class: "data-table", "data-testid": "blocks-table" },
              h("thead", null, h("tr", null, h("th", null, "When"), h("th", null, "Who"), h("th", null, "Kind"), h("th", null, "Reason"), h("th", null, h("span", { class: "visually-hidden" }, "Actions")))),
              h("tbody", null, blocks.map(blockRow)),
            ),
        h("h3", { class: "section-title" }, "Add a closed date or a block"),
        blockForm(),
      )),
      section("rooms", () => roomsPanel(rooms)),
      section("types", () => typesPanel(types)),
    ]);
    body.removeAttribute("aria-busy");
  };

  // what this screen just added or removed, shown before the feed has brought it to the cache
  let held: { added: ScheduleBlock | null; removed: string | null } = { added: null, removed: null };
  let seq = 0;
  const load = async () => {
    const my = ++seq;
    try {
      const [v, b, r, t] = await Promise.all([api.availability(ctx.today(), addDays(ctx.today(), HOURS_AHEAD)), api.upcomingBlocks(), api.rooms(), api.visitTypes()]);
      if (my !== seq) return;
      view = v;
      rooms = r;
      types = t;
      const added = held.added;
      if (added && !b.some((x) => x.id === added.id)) b.push(added);
      else held.added = null;
      if (held.removed && !b.some((x) => x.id === held.removed)) held.removed = null;
      blocksAhead = b.filter((x) => x.id !== held.removed).sort((x, y) => Date.parse(x.starts_at) - Date.parse(y.starts_at));
      setBanner(err, null);
      render();
    } catch (raw) {
      setBanner(err, `Could not read the hours: ${(raw as CommandError).message}`);
    }
  };
  void load();

  return {
    el,
    title: "Opening hours",
    focus: () => heading.focus(),
    refresh: (entities) => {
      // another administrator's change (or this one's, back from the feed): shown, except in
      // a section with something typed and not saved yet
      if (!entities.some((e) => e === "availability" || e === "schedule_block" || e === "user" || e === "room" || e === "visit_type")) return;
      void load();
    },
  };
}

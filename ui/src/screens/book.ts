// Book an appointment: patient (search picker), provider, date and time in the clinic's zone,
// length, kind, reason. A clash names the other booking; with the overbook permission the
// person may book over it on purpose.

import { nowMs } from "../lib/clock";
import { api, newId } from "../api";
import type { AppointmentKind } from "../bindings/AppointmentKind";
import type { AppointmentRow } from "../bindings/AppointmentRow";
import type { CommandError } from "../bindings/CommandError";
import type { Local } from "../bindings/Local";
import type { NewAppointment } from "../bindings/NewAppointment";
import type { Patient } from "../bindings/Patient";
import { h, replace } from "../dom";
import { formatAge } from "../lib/dates";
import { KIND_LABEL, ROLE_LABEL, STATUS_LABEL, patientName } from "../lib/format";
import { utcToZoned, zonedToUtc } from "../lib/tz";
import { formatLongDate, formatTime, parseDate, parseTime, parseTimeOfDay, showDate, showTime } from "../lib/locale";
import { durationError } from "../lib/workflow";
import type { Ctx, Screen } from "../ui/context";
import { banner, dateInput, field, saveErrorText, select, setBanner, showFieldErrors, textInput, timeInput, type Field } from "../ui/forms";
import type { Recurrence } from "../bindings/Recurrence";
import type { RecurrenceUnit } from "../bindings/RecurrenceUnit";
import type { SeriesPlan } from "../bindings/SeriesPlan";
import type { VisitType } from "../bindings/VisitType";
import { openModal } from "../ui/modal";
import { providers, timeSpan } from "./schedule";
import { freeTimeOffers } from "./slotFinder";
import { syncBadges } from "./common";

/** The next quarter hour after `nowMs` in the clinic's zone (same day), else 09:00. */
export function suggestedTime(date: string, tz: string, nowMs: number): string {
  const now = utcToZoned(nowMs, tz);
  if (now.date !== date) return "09:00";
  const [hh, mm] = now.time.split(":").map(Number) as [number, number];
  const next = Math.ceil((hh * 60 + mm + 1) / 15) * 15;
  if (next >= 24 * 60) return "09:00";
  return `${String(Math.floor(next / 60)).padStart(2, "0")}:${String(next % 60).padStart(2, "0")}`;
}

/** Words naming a clashing booking. */
export function clashText(row: AppointmentRow, tz: string): string {
  const a = row.appointment.record;
  return `${timeSpan(a.starts_at, a.duration_minutes, tz)} ${row.patient_name || "a patient"}${row.patient_mrn ? ` (MRN ${row.patient_mrn})` : ""} with ${row.provider_name}, ${STATUS_LABEL[a.status].toLowerCase()}`;
}

interface Draft {
  id: string;
  patient: Local<Patient> | null;
  values: Record<string, string>;
}

export function bookScreen(ctx: Ctx, route: { patientId?: string; date?: string; providerId?: string | null; time?: string; duration?: number }): Screen {
  const draftKey = "book";
  const stored = ctx.drafts.get(draftKey) as Draft | undefined;
  // A kept draft is used only when it is not for a different patient than asked.
  const draft = stored && (!route.patientId || stored.patient?.record.id === route.patientId) ? stored : undefined;
  const id = draft?.id ?? newId();
  // a slot chosen in the schedule (provider, date, time, length) wins over a kept draft's
  const dv: Record<string, string> = { ...(draft?.values ?? {}) };
  if (route.time) {
    if (route.providerId) dv.provider_id = route.providerId;
    if (route.date) dv.date = route.date;
    dv.time = route.time;
    if (route.duration) dv.duration_minutes = String(route.duration);
  }
  let patient: Local<Patient> | null = draft?.patient ?? null;

  // Patient picker.
  const pSearch = textInput({
    role: "combobox",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": "book-patient-options",
    placeholder: "Type a name, date of birth or MRN",
  });
  const pField = field(pSearch, { id: "book-patient", name: "patient_id", label: "Patient", required: true });
  const options = h("ul", { id: "book-patient-options", "data-testid": "book-patient-options", role: "listbox", class: "picker-list", "aria-label": "Matching patients" });
  options.hidden = true;
  const chip = h("div", { class: "picker-chip", id: "book-patient-selected", "data-testid": "book-patient-selected" });
  pField.wrap.appendChild(options);
  pField.wrap.insertBefore(chip, pField.error);
  let found: Local<Patient>[] = [];
  let activeOpt = -1;
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const staffList = providers(ctx.staff());
  const selfProvider = staffList.some((s) => s.id === ctx.user.id) ? ctx.user.id : "";
  const provider = field(
    select([["", "Choose…"], ...staffList.map((s) => [s.id, `${s.full_name} (${ROLE_LABEL[s.role]})`] as [string, string])], dv.provider_id ?? route.providerId ?? ctx.scheduleProvider ?? selfProvider),
    { id: "book-provider", name: "provider_id", label: "Provider", required: true },
  );
  const initialDate = dv.date ?? route.date ?? ctx.scheduleDate ?? ctx.today();
  const initialIso = parseDate(initialDate);
  const date = field(dateInput(initialDate), { id: "book-date", name: "date", label: "Date", required: true });
  const time = field(timeInput(dv.time ?? suggestedTime(initialIso.ok ? initialIso.value : ctx.today(), ctx.tz, nowMs())), {
    id: "book-time",
    name: "time",
    label: "Time",
    required: true,
    hint: `Clinic time (${ctx.tz})`,
  });
  const duration = field(textInput({ value: dv.duration_minutes ?? "15", inputmode: "numeric" }), {
    id: "book-duration",
    name: "duration_minutes",
    label: "Length (minutes)",
    required: true,
  });
  const kind = field(select(Object.entries(KIND_LABEL) as [string, string][], dv.kind ?? "follow_up"), { id: "book-kind", name: "kind", label: "Kind of visit", required: true });
  // the clinic's own visit types: choosing one sets the kind and the default length
  const visitType = field(select([["", "Choose…"]], ""), { id: "book-visit-type", name: "visit_type_id", label: "Visit type", hint: "Sets the kind and the usual length" });
  let types: VisitType[] = [];
  void api
    .visitTypes()
    .then((all) => {
      types = all.filter((t) => t.active);
      // a clinic without its own visit types books by kind alone, as before
      visitType.wrap.hidden = types.length === 0;
      const keep = visitType.control.value || dv.visit_type_id || "";
      replace(visitType.control, h("option", { value: "" }, "Choose…"), types.map((t) => h("option", { value: t.id }, `${t.name} (${t.default_minutes} min)`)));
      visitType.control.value = types.some((t) => t.id === keep) ? keep : "";
    })
    .catch(() => {
      // offline before the first sync: the kinds alone still book
    });
  visitType.wrap.hidden = true;
  visitType.control.addEventListener("change", () => {
    const t = types.find((x) => x.id === visitType.control.value);
    if (!t) return;
    kind.control.value = t.kind;
    duration.control.value = String(t.default_minutes);
    renderWhen();
    storeDraft();
  });
  const reason = field(textInput({ value: dv.reason ?? "", maxlength: 500 }), { id: "book-reason", name: "reason", label: "Reason", class: "span-2" });
  // a recurring visit: every N days, weeks or months, a number of times or until a date
  const repeat = field(select([["", "Does not repeat"], ["day", "Daily"], ["week", "Weekly"], ["month", "Monthly"]], ""), { id: "book-repeat", name: "repeat", label: "Repeats" });
  const every = field(textInput({ value: "1", inputmode: "numeric" }), { id: "book-every", name: "every", label: "Every", hint: "1 = every day, week or month; 2 = every other…" });
  const count = field(textInput({ value: "6", inputmode: "numeric" }), { id: "book-count", name: "count", label: "Number of visits", hint: "Or leave blank and give an end date" });
  const until = field(dateInput(), { id: "book-until", name: "until", label: "Until (last date)" });
  const repeatMore = h("div", { class: "repeat-more span-2" }, every.wrap, count.wrap, until.wrap);
  // one or the other: choosing an end date clears the number of visits, and back
  until.control.addEventListener("change", () => {
    if (until.control.value) count.control.value = "";
  });
  count.control.addEventListener("input", () => {
    if (count.control.value.trim()) until.control.value = "";
  });
  repeatMore.hidden = true;
  repeat.control.addEventListener("change", () => {
    repeatMore.hidden = !repeat.control.value;
    saveLabel.textContent = repeat.control.value ? "Plan visits…" : "Book";
  });
  const fields: Field[] = [pField, provider, date, time, duration, visitType, kind, reason, every, count, until];
  const when = h("p", { class: "muted", "data-testid": "book-when", "aria-live": "polite" });

  const err = banner("book-error");
  const conflict = h("div", { class: "banner banner-error", role: "alert", id: "book-conflict", "data-testid": "book-conflict" });
  conflict.hidden = true;
  const saveLabel = h("span", null, "Book");
  const save = h("button", { type: "submit", class: "btn btn-primary", id: "book-save", "data-testid": "book-save" }, saveLabel, h("kbd", { "aria-hidden": "true" }, "Ctrl+Enter"));
  const cancel = h("button", { type: "button", class: "btn", id: "book-cancel", "data-testid": "book-cancel", onclick: () => ctx.back() }, "Close", h("kbd", { "aria-hidden": "true" }, "Esc"));
  const form = h(
    "form",
    { class: "form-grid", id: "book-form", "data-testid": "book-form", novalidate: true },
    h("div", { class: "span-2" }, pField.wrap),
    provider.wrap,
    visitType.wrap,
    kind.wrap,
    date.wrap,
    time.wrap,
    duration.wrap,
    h("div", { class: "field" }, when),
    reason.wrap,
    repeat.wrap,
    repeatMore,
    h("div", { class: "form-actions span-2" }, save, cancel),
  );
  const el = h(
    "section",
    { class: "screen form-screen", "aria-labelledby": "book-title" },
    h("div", { class: "screen-head" }, h("h1", { id: "book-title" }, "Book appointment")),
    draft ? h("div", { class: "banner banner-info", "data-testid": "book-restored" }, "Your unsaved booking was kept. ", h("button", { type: "button", class: "link-btn", onclick: () => { ctx.drafts.delete(draftKey); ctx.replace({ name: "book", ...route }); } }, "Discard it and start again")) : null,
    err,
    conflict,
    form,
  );

  const storeDraft = () => {
    const values: Record<string, string> = {};
    for (const f of fields) if (f !== pField) values[f.name] = f.control.value;
    if (patient || reason.control.value.trim()) ctx.drafts.set(draftKey, { id, patient, values } satisfies Draft);
    else ctx.drafts.delete(draftKey);
  };

  const renderChip = () => {
    if (!patient) {
      chip.hidden = true;
      pSearch.hidden = false;
      return;
    }
    const r = patient.record;
    chip.hidden = false;
    pSearch.hidden = true;
    replace(
      chip,
      h("strong", null, patientName(r)),
      h("span", { class: "mono" }, ` MRN ${r.mrn}`),
      ` · DOB ${showDate(r.date_of_birth)} · ${formatAge(r.date_of_birth, ctx.today())} `,
      ...syncBadges(patient),
      h(
        "button",
        {
          type: "button",
          class: "btn btn-small",
          "data-testid": "book-patient-change",
          onclick: () => {
            patient = null;
            renderChip();
            storeDraft();
            pSearch.focus();
          },
        },
        "Change",
      ),
    );
    pField.setError(null);
  };

  const choose = (p: Local<Patient>) => {
    patient = p;
    options.hidden = true;
    pSearch.setAttribute("aria-expanded", "false");
    renderChip();
    storeDraft();
    provider.control.focus();
  };

  const renderOptions = () => {
    replace(
      options,
      found.length === 0
        ? h("li", { class: "muted picker-empty" }, "No matching patients")
        : found.map((p, i) =>
            h(
              "li",
              {
                id: `book-opt-${p.record.id}`,
                role: "option",
                "data-testid": "book-patient-option",
                "data-patient-id": p.record.id,
                "aria-selected": i === activeOpt ? "true" : "false",
                class: i === activeOpt ? "active" : "",
                onmousedown: (e: Event) => {
                  e.preventDefault();
                  choose(p);
                },
              },
              h("strong", null, patientName(p.record)),
              ` · ${showDate(p.record.date_of_birth)} · `,
              h("span", { class: "mono" }, p.record.mrn),
            ),
          ),
    );
    const act = found[activeOpt];
    if (act) pSearch.setAttribute("aria-activedescendant", `book-opt-${act.record.id}`);
    else pSearch.removeAttribute("aria-activedescendant");
  };

  const searchNow = async () => {
    const my = ++seq;
    const q = pSearch.value;
    if (q.trim() === "") {
      options.hidden = true;
      pSearch.setAttribute("aria-expanded", "false");
      return;
    }
    try {
      const r = await api.searchPatients(q, 8);
      if (my !== seq) return;
      found = r;
      activeOpt = r.length > 0 ? 0 : -1;
      renderOptions();
      options.hidden = false;
      pSearch.setAttribute("aria-expanded", "true");
    } catch (e) {
      pField.setError(`search failed: ${(e as CommandError).message}`);
    }
  };
  pSearch.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(searchNow, 80);
  });
  pSearch.addEventListener("keydown", (e) => {
    if (options.hidden) {
      if (e.key === "Enter" || e.key === "ArrowDown") {
        e.preventDefault();
        clearTimeout(timer);
        void searchNow();
      }
      return;
    }
    if (e.key === "ArrowDown") {
      e.preventDefault();
      activeOpt = Math.min(activeOpt + 1, found.length - 1);
      renderOptions();
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      activeOpt = Math.max(activeOpt - 1, 0);
      renderOptions();
    } else if (e.key === "Enter") {
      e.preventDefault();
      const p = found[activeOpt];
      if (p) choose(p);
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      options.hidden = true;
      pSearch.setAttribute("aria-expanded", "false");
    }
  });
  pSearch.addEventListener("blur", () => {
    setTimeout(() => {
      options.hidden = true;
      pSearch.setAttribute("aria-expanded", "false");
    }, 100);
  });

  if (!patient && route.patientId) {
    void api
      .patientChart(route.patientId)
      .then((c) => {
        patient = c.patient;
        renderChip();
      })
      .catch((e: CommandError) => pField.setError(`could not be loaded: ${e.message}`));
  }
  renderChip();

  /** Reads the form; the body to send or the errors by field. */
  const read = (): { body?: NewAppointment; errors: Record<string, string[]> } => {
    const errors: Record<string, string[]> = {};
    if (!patient) errors.patient_id = ["is required: search and choose a patient"];
    if (!provider.control.value) errors.provider_id = ["is required"];
    const pd = parseDate(date.control.value);
    const d = pd.ok ? pd.value : "";
    if (!pd.ok) errors.date = [pd.error];
    const pt = parseTime(time.control.value);
    const t = pt.ok ? pt.value : null;
    if (!pt.ok) errors.time = [pt.error];
    const dur = duration.control.value.trim();
    const minutes = /^\d+$/.test(dur) ? Number(dur) : NaN;
    const durationErr = durationError(minutes);
    if (durationErr !== null) errors.duration_minutes = [durationErr];
    if (Object.keys(errors).length > 0 || !patient || !t) return { errors };
    const body: NewAppointment = {
      id,
      patient_id: patient.record.id,
      provider_id: provider.control.value,
      starts_at: zonedToUtc(d, t, ctx.tz),
      duration_minutes: minutes,
      kind: kind.control.value as AppointmentKind,
    };
    if (visitType.control.value) body.visit_type_id = visitType.control.value;
    const r = reason.control.value.trim();
    if (r) body.reason = r;
    return { body, errors };
  };

  const renderWhen = () => {
    const pd = parseDate(date.control.value);
    const t = parseTimeOfDay(time.control.value);
    when.textContent = pd.ok && t ? `${formatLongDate(pd.value)} at ${showTime(t)}${pd.value === ctx.today() ? " (today)" : ""}` : "";
  };
  renderWhen();
  form.addEventListener("input", () => {
    conflict.hidden = true;
    renderWhen();
    storeDraft();
  });
  form.addEventListener("change", () => {
    renderWhen();
    storeDraft();
  });
  time.control.addEventListener("blur", () => {
    const t = parseTime(time.control.value);
    if (t.ok) {
      time.setError(null);
      renderWhen();
    } else if (time.control.value.trim()) time.setError(t.error);
  });

  let busy = false;
  // an override of the hours, once given, is kept for the retries that follow (a time both
  // outside the hours and clashing needs it and the overbooking)
  let heldOutsideReason: string | null = null;
  const submit = async (overbook = false, outsideHoursReason: string | null = null) => {
    if (busy) return;
    if (repeat.control.value) {
      await planSeries();
      return;
    }
    if (outsideHoursReason !== null) heldOutsideReason = outsideHoursReason;
    const { body, errors } = read();
    if (overbook && !reason.control.value.trim()) errors.reason = ["is required for an overbooking"];
    if (body && heldOutsideReason !== null) body.outside_hours_reason = heldOutsideReason;
    if (!body || Object.keys(errors).length > 0) {
      const first = showFieldErrors(fields, errors, err);
      setBanner(err, "Please correct the fields marked below.");
      (first?.control.hidden ? provider.control : first?.control)?.focus();
      return;
    }
    if (overbook) body.overbooked = true;
    showFieldErrors(fields, {}, err);
    conflict.hidden = true;
    busy = true;
    save.disabled = true;
    try {
      const row = await api.bookAppointment(body);
      ctx.drafts.delete(draftKey);
      const a = row.appointment.record;
      const w = utcToZoned(a.starts_at, ctx.tz);
      ctx.scheduleDate = w.date;
      ctx.toast(
        `Booked ${row.patient_name} on ${showDate(w.date)} at ${showTime(w.time)} with ${row.provider_name}${row.appointment.pending && !ctx.online() ? " (on this workstation; will be sent when the server is reachable)" : ""}.`,
        "success",
      );
      ctx.back();
    } catch (raw) {
      const e = raw as CommandError;
      if (e.code === "conflict" && body) await showConflict(e, body);
      else if (e.code === "outside_availability" && body) await showOutsideHours(e, body);
      else if (e.code === "validation" && e.fields) {
        const f = { ...e.fields };
        if (f.starts_at) {
          f.time = f.starts_at;
          delete f.starts_at;
        }
        const first = showFieldErrors(fields, f, err);
        if (err.hidden) setBanner(err, "The booking was refused; see the fields marked below.");
        first?.control.focus();
      } else setBanner(err, saveErrorText(e, overbook ? "overbook" : "book appointments"));
    } finally {
      busy = false;
      save.disabled = false;
    }
  };

  /** Offers the provider's next free times for this booking; a pick fills the date and time in. */
  const offers = (body: NewAppointment) =>
    freeTimeOffers(ctx, { providerId: body.provider_id, fromDate: utcToZoned(body.starts_at, ctx.tz).date, minutes: body.duration_minutes, asked: body.starts_at }, "book-offer", (o) => {
      date.control.value = showDate(o.date);
      time.control.value = showTime(o.time);
      conflict.hidden = true;
      renderWhen();
      storeDraft();
      save.focus();
    });

  /** A time outside the hours: why, the next free times, and (for a role that may) an override with its reason. */
  const showOutsideHours = async (e: CommandError, body: NewAppointment) => {
    const free = offers(body);
    await free.ready;
    const why = h("input", { type: "text", id: "book-outside-reason", "data-testid": "book-outside-reason", maxlength: 500, "aria-label": "Why book outside the hours" }) as HTMLInputElement;
    const whyErr = h("span", { class: "field-error", id: "book-outside-reason-error", role: "alert", "data-testid": "book-outside-reason-error" });
    why.setAttribute("aria-describedby", "book-outside-reason-error");
    replace(
      conflict,
      h("span", { "data-testid": "book-outside-text" }, `${e.message}.`),
      free.el,
      ctx.can("appointment_outside_hours")
        ? h(
            "div",
            { class: "offer-list" },
            h("label", { for: "book-outside-reason" }, "Or book it anyway, outside the hours, because: "),
            why,
            " ",
            h(
              "button",
              {
                type: "button",
                class: "btn btn-small btn-danger",
                "data-testid": "book-outside-hours",
                onclick: () => {
                  const r = why.value.trim();
                  if (!r) {
                    whyErr.textContent = " say why (it is kept with the booking and in the audit log)";
                    why.focus();
                    return;
                  }
                  void submit(false, r);
                },
              },
              "Book outside the hours",
            ),
            whyErr,
          )
        : null,
    );
    conflict.hidden = false;
    (conflict.querySelector<HTMLButtonElement>('[data-testid="book-offer"]') ?? time.control).focus();
  };

  /** A recurring visit: plan it, show each occurrence with its problem, book what is chosen. */
  const planSeries = async () => {
    const { body, errors } = read();
    const n = (f: Field) => (/^\d+$/.test(f.control.value.trim()) ? Number(f.control.value.trim()) : NaN);
    const rec: Recurrence = { every: n(every), unit: repeat.control.value as RecurrenceUnit };
    if (count.control.value.trim()) rec.count = n(count);
    else if (until.control.value.trim()) {
      const u = parseDate(until.control.value);
      if (u.ok) rec.until = u.value;
      else errors.until = [u.error];
    }
    if (Number.isNaN(rec.every)) errors.every = ["must be a number from 1 to 12"];
    if (count.control.value.trim() && Number.isNaN(rec.count ?? NaN)) errors.count = ["must be a number"];
    if (!body || Object.keys(errors).length > 0) {
      const first = showFieldErrors(fields, errors, err);
      setBanner(err, "Please correct the fields marked below.");
      first?.control.focus();
      return;
    }
    showFieldErrors(fields, {}, err);
    busy = true;
    save.disabled = true;
    let plan: SeriesPlan;
    try {
      plan = await api.planSeries(body, rec);
    } catch (raw) {
      const e = raw as CommandError;
      const first = e.fields ? showFieldErrors(fields, e.fields, err) : null;
      if (!e.fields) setBanner(err, saveErrorText(e, "book appointments"));
      first?.control.focus();
      return;
    } finally {
      busy = false;
      save.disabled = false;
    }
    openSeriesPlan(body, plan);
  };

  const openSeriesPlan = (body: NewAppointment, plan: SeriesPlan) => {
    const chosen = plan.visits.map((v) => ({ at: v.starts_at, book: v.problem === null, moved: false }));
    const list = h("ol", { class: "series-plan", "data-testid": "series-plan" });
    const total = h("span", { "data-testid": "series-count" });
    const confirm = h("button", { type: "button", class: "btn btn-primary", "data-testid": "series-book" }, "Book ", total);
    const closeBtn = h("button", { type: "button", class: "btn", "data-testid": "series-close" }, "Back to the form");
    const planErr = h("div", { class: "banner banner-error", role: "alert", "data-testid": "series-error" });
    planErr.hidden = true;
    const draw = () => {
      const n = chosen.filter((c) => c.book).length;
      total.textContent = `${n} visit${n === 1 ? "" : "s"}`;
      (confirm as HTMLButtonElement).disabled = n === 0;
      replace(
        list,
        plan.visits.map((v, i) => {
          const c = chosen[i];
          if (!c) return null;
          const w = utcToZoned(c.at, ctx.tz);
          const box = h("input", { type: "checkbox", id: `series-${i}`, "data-testid": "series-visit-book", checked: c.book, disabled: v.problem !== null && !c.moved }) as HTMLInputElement;
          box.addEventListener("change", () => {
            c.book = box.checked;
            draw();
            list.querySelector<HTMLInputElement>(`#series-${i}`)?.focus();
          });
          const suggestion = v.suggestion;
          return h(
            "li",
            { class: `series-visit ${v.problem && !c.moved ? "series-problem" : ""}`, "data-testid": "series-visit", "data-problem": v.problem && !c.moved ? "true" : "false" },
            box,
            h("label", { for: `series-${i}` }, ` ${formatLongDate(w.date)} ${showTime(w.time)}`),
            v.problem && !c.moved ? h("span", { class: "series-why" }, ` — ${v.problem}; skipped`) : c.moved ? h("span", { class: "muted" }, " — moved") : null,
            v.problem && !c.moved && suggestion
              ? h(
                  "button",
                  {
                    type: "button",
                    class: "btn btn-small",
                    "data-testid": "series-move",
                    onclick: () => {
                      c.at = suggestion;
                      c.moved = true;
                      c.book = true;
                      draw();
                      list.querySelector<HTMLInputElement>(`#series-${i}`)?.focus();
                    },
                  },
                  `Move to ${formatTime(suggestion, ctx.tz)}`,
                )
              : null,
          );
        }),
      );
    };
    draw();
    const problems = plan.visits.filter((v) => v.problem !== null).length;
    const m = openModal({
      title: `${plan.visits.length} visits, ${KIND_LABEL[body.kind].toLowerCase()}`,
      testid: "series-dialog",
      wide: true,
      content: [
        h(
          "p",
          null,
          problems === 0
            ? "Every visit is free to book."
            : problems === 1
              ? "One of them cannot be booked as planned: it is skipped unless you move it."
              : `${problems} of them cannot be booked as planned: they are skipped unless you move them.`,
        ),
        list,
        planErr,
        h("div", { class: "form-actions" }, confirm, closeBtn),
      ],
    });
    closeBtn.addEventListener("click", () => m.close());
    confirm.addEventListener("click", async () => {
      (confirm as HTMLButtonElement).disabled = true;
      try {
        const rows = await api.bookSeries(body, chosen.filter((c) => c.book).map((c) => c.at));
        m.close();
        ctx.drafts.delete(draftKey);
        const first = rows[0];
        if (first) ctx.scheduleDate = utcToZoned(first.appointment.record.starts_at, ctx.tz).date;
        ctx.toast(`Booked ${rows.length} visits for ${first?.patient_name ?? "the patient"} with ${first?.provider_name ?? "the provider"}.`, "success");
        ctx.back();
      } catch (raw) {
        planErr.textContent = `Not booked: ${(raw as CommandError).message}. Check the schedule before trying again.`;
        planErr.hidden = false;
        (confirm as HTMLButtonElement).disabled = false;
      }
    });
    (confirm as HTMLButtonElement).focus();
  };

  const showConflict = async (e: CommandError, body: NewAppointment) => {
    const free = offers(body);
    let text = "This time clashes with another booking";
    if (e.conflicting_appointment_id) {
      try {
        const day = await api.dayAppointments(body.starts_at ? utcToZoned(body.starts_at, ctx.tz).date : ctx.today(), null);
        const other = day.find((r) => r.appointment.record.id === e.conflicting_appointment_id);
        if (other) text = `This time clashes with ${clashText(other, ctx.tz)}`;
      } catch {
        // Keep the general words.
      }
    }
    replace(
      conflict,
      h("span", { "data-testid": "book-conflict-text" }, `${text}.`),
      " Choose another time or provider",
      ctx.can("appointment_overbook")
        ? [
            ", or ",
            h(
              "button",
              { type: "button", class: "btn btn-small btn-danger", id: "book-overbook", "data-testid": "book-overbook", onclick: () => void submit(true) },
              "Book anyway (overbook)",
            ),
            " (a reason is required).",
          ]
        : ".",
      free.el,
    );
    conflict.hidden = false;
    // the offers arrive in their own time (announced): focus stays where she types
    time.control.focus();
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void submit();
  });

  return {
    el,
    title: "Book appointment",
    focus: () => (patient ? provider.control : pSearch).focus(),
    form: { save: () => void submit(), close: () => ctx.back() },
    destroy: () => clearTimeout(timer),
  };
}

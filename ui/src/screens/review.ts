// The review list: what sync could not settle alone (DESIGN.md, "Sync protocol" 5). A field
// changed here and on the server (keep mine / keep theirs / a new value), a change the server
// refused (a booking into a slot taken meanwhile: rebook or discard; a registration: correct
// and send again, or discard), and two patients who may be one person. Cards stay as they are
// (with anything typed into them) across refreshes while their item is unchanged.

import { nowMs } from "../lib/clock";
import { api } from "../api";
import type { AppointmentRow } from "../bindings/AppointmentRow";
import type { CommandError } from "../bindings/CommandError";
import type { Patient } from "../bindings/Patient";
import type { ReviewItem } from "../bindings/ReviewItem";
import { h, replace } from "../dom";
import { formatAge } from "../lib/dates";
import { ROLE_LABEL, SEX_LABEL, patientName, summarizeFieldErrors } from "../lib/format";
import { SEXES } from "../lib/patientForm";
import {
  buildRebook,
  discardText,
  editControl,
  fieldLabel,
  formatFieldValue,
  parseFieldInput,
  rebookDefaults,
  refusedKind,
  reviewKey,
  reviewSummary,
  valueToInput,
} from "../lib/review";
import { utcToZoned } from "../lib/tz";
import { datePattern, dateTimePattern, formatDateTime, formatTime, isoDateOf, showDate, showTime } from "../lib/locale";
import { durationError } from "../lib/workflow";
import type { Ctx, Screen } from "../ui/context";
import { banner, dateInput, field, saveErrorText, select, setBanner, showFieldErrors, textInput, timeInput, type Field } from "../ui/forms";
import { openModal } from "../ui/modal";
import { clashText } from "./book";
import { providers } from "./schedule";
import { freeTimeOffers } from "./slotFinder";

type Conflict = Extract<ReviewItem, { kind: "field_conflict" }>;
type Refused = Extract<ReviewItem, { kind: "refused" }>;
type Duplicate = Extract<ReviewItem, { kind: "possible_duplicate" }>;

/** The booking `id` on `date` (clinic date), with names, when the cache has it. */
async function findBooking(id: string, date: string): Promise<AppointmentRow | null> {
  try {
    const day = await api.dayAppointments(date, null);
    return day.find((r) => r.appointment.record.id === id) ?? null;
  } catch {
    return null;
  }
}

/** Asks before something is thrown away; resolves true when confirmed. */
function confirmDialog(title: string, text: string, confirmLabel: string, testid: string): Promise<boolean> {
  return new Promise((resolve) => {
    let answered = false;
    const done = (yes: boolean) => {
      if (answered) return;
      answered = true;
      m.close();
      resolve(yes);
    };
    const yes = h("button", { type: "button", class: "btn btn-danger", "data-testid": `${testid}-confirm`, onclick: () => done(true) }, confirmLabel);
    const no = h("button", { type: "button", class: "btn", "data-testid": `${testid}-keep`, onclick: () => done(false) }, "Keep it");
    const m = openModal({
      title,
      testid,
      content: [h("p", { "data-testid": `${testid}-text` }, text), h("div", { class: "form-actions" }, no, yes)],
      onClose: () => {
        if (!answered) {
          answered = true;
          resolve(false);
        }
      },
    });
    no.focus();
  });
}

export function reviewScreen(ctx: Ctx): Screen {
  const summary = h("p", { class: "muted", "data-testid": "review-summary", "aria-live": "polite" });
  const list = h("div", { class: "review-list", "data-testid": "review-list", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
  const err = banner("review-error");
  const heading = h("h1", { id: "review-title", tabindex: -1 }, "Review");
  /** What was settled on this screen, newest first: the toasts fade, this stays while it is open. */
  const settled: { at: string; message: string }[] = [];
  const settledList = h("ul", { class: "review-settled-list" });
  const settledPanel = h("section", { class: "panel review-settled", "data-testid": "review-settled", "aria-labelledby": "review-settled-title" }, h("h2", { id: "review-settled-title" }, "Settled just now"), settledList);
  settledPanel.hidden = true;
  const intro = h("p", { class: "review-intro" }, "What this workstation could not settle with the server by itself. Nothing here has been lost: each item waits for your choice.");
  const el = h(
    "section",
    { class: "screen review-screen", "data-testid": "review", "aria-labelledby": "review-title" },
    h("div", { class: "screen-head" }, heading),
    intro,
    summary,
    err,
    list,
    settledPanel,
  );
  /** Cards by item key, with the item they show. */
  let cards = new Map<string, { json: string; el: HTMLElement }>();
  let seq = 0;

  const done = (message: string) => {
    ctx.toast(message, "success");
    settled.unshift({ at: formatTime(nowMs(), ctx.tz), message });
    replace(settledList, settled.map((x) => h("li", { "data-testid": "review-settled-item" }, h("span", { class: "muted mono" }, x.at), " ", x.message)));
    settledPanel.hidden = false;
    void load();
  };

  // ----- a field changed on both sides -----

  const conflictCard = (c: Conflict): HTMLElement => {
    const vc = { tz: ctx.tz, staffName: ctx.staffName };
    const label = fieldLabel(c.field);
    const cardErr = banner(`conflict-error-${c.id}`);
    cardErr.dataset.testid = "conflict-error";
    const buttons: HTMLButtonElement[] = [];
    const act = async (what: () => Promise<unknown>, message: string) => {
      setBanner(cardErr, null);
      for (const b of buttons) b.disabled = true;
      try {
        await what();
        done(message);
      } catch (raw) {
        const e = raw as CommandError;
        if (e.code === "validation" && e.fields) {
          const msgs = e.fields[c.field] ?? Object.values(e.fields).flat();
          editField?.setError(msgs);
          if (!editField) setBanner(cardErr, `Not saved: ${summarizeFieldErrors(e.fields)}`);
          editField?.control.focus();
        } else setBanner(cardErr, saveErrorText(e, "change this record"));
      } finally {
        for (const b of buttons) b.disabled = false;
      }
    };

    // Edit…: an input for a new value, checked before it is sent.
    let editField: Field | null = null;
    const editBox = h("div", { class: "conflict-edit", "data-testid": "conflict-edit" });
    editBox.hidden = true;
    const openEdit = () => {
      if (!editField) {
        const start = valueToInput(c.field, c.mine, ctx.tz);
        const kind = editControl(c.field);
        const control =
          kind === "sex"
            ? select([["", "Choose…"], ...SEXES], start)
            : kind === "textarea"
              ? h("textarea", { rows: 2 })
              : textInput({ value: start, placeholder: kind === "date" ? datePattern() : c.field === "starts_at" ? dateTimePattern() : "" });
        if (kind === "textarea") control.value = start;
        editField = field(control, {
          id: `conflict-value-${c.id}`,
          name: c.field,
          label: `New ${label.toLowerCase()}`,
          hint: c.field === "allergies" ? "Separate with commas." : undefined,
        });
        editField.control.dataset.testid = "conflict-value";
        editField.error.dataset.testid = "conflict-value-error";
        editField.control.addEventListener("input", () => editField?.setError(null));
        const save = h("button", { type: "button", class: "btn btn-primary", "data-testid": "conflict-save" }, "Save this value");
        const cancel = h("button", { type: "button", class: "btn", "data-testid": "conflict-edit-cancel", onclick: () => (editBox.hidden = true) }, "Cancel");
        buttons.push(save);
        const submit = () => {
          const f = editField;
          if (!f) return;
          const r = parseFieldInput(c.field, f.control.value, ctx.today(), ctx.tz);
          if (!r.ok) {
            f.setError(r.error);
            f.control.focus();
            return;
          }
          void act(() => api.resolveConflict(c.id, { choice: "edit", value: r.value }), `Saved the new ${label.toLowerCase()} of ${c.title}.`);
        };
        save.addEventListener("click", submit);
        editField.control.addEventListener("keydown", (e) => {
          if (e instanceof KeyboardEvent && e.key === "Enter" && !(editField?.control instanceof HTMLTextAreaElement)) {
            e.preventDefault();
            submit();
          }
        });
        replace(editBox, editField.wrap, h("div", { class: "form-actions" }, save, cancel));
      }
      editBox.hidden = false;
      editField.control.focus();
    };

    const keepMine = h("button", { type: "button", class: "btn btn-primary", "data-testid": "conflict-keep-mine", onclick: () => void act(() => api.resolveConflict(c.id, { choice: "keep_mine" }), `Kept your ${label.toLowerCase()} for ${c.title}; it is being sent.`) }, "Keep mine");
    const keepTheirs = h("button", { type: "button", class: "btn", "data-testid": "conflict-keep-theirs", onclick: () => void act(() => api.resolveConflict(c.id, { choice: "keep_theirs" }), `Kept the server's ${label.toLowerCase()} for ${c.title}.`) }, "Keep theirs");
    const edit = h("button", { type: "button", class: "btn", "data-testid": "conflict-edit-open", onclick: openEdit }, "Edit…");
    // a list or a choice is edited on the patient's form, not inline
    edit.hidden = editControl(c.field) === "none";
    buttons.push(keepMine, keepTheirs, edit);

    const theirsMeta = [c.changed_by ? `changed by ${c.changed_by}` : "changed elsewhere", c.changed_at ? `on ${formatDateTime(c.changed_at, ctx.tz)}` : null].filter(Boolean).join(" ");
    const openRecord =
      c.entity === "patient"
        ? h("button", { type: "button", class: "link-btn", "data-testid": "conflict-open", onclick: () => ctx.open({ name: "chart", patientId: c.entity_id }) }, "Open chart")
        : null;
    return h(
      "article",
      { class: "review-card review-conflict", "data-testid": "review-conflict", "data-conflict-id": c.id, "data-field": c.field, "aria-label": `${label} of ${c.title}` },
      h("header", { class: "review-card-head" }, h("span", { class: "review-kind kind-conflict" }, "Changed on both sides"), h("h2", null, c.title), openRecord),
      h("p", { class: "review-what" }, h("strong", { "data-testid": "conflict-field" }, label), " was changed on this workstation while it was offline, and on the server. The server kept its value; choose which to keep."),
      h(
        "div",
        { class: "compare" },
        h(
          "div",
          { class: "side side-mine" },
          h("div", { class: "side-label" }, c.mine_by_me ? "Yours" : "Entered on this workstation"),
          h("div", { class: "side-value", "data-testid": "conflict-mine" }, formatFieldValue(c.field, c.mine, vc)),
          h("div", { class: "side-meta" }, c.mine_by_me ? "entered by you here" : "entered here by another user"),
        ),
        h(
          "div",
          { class: "side side-theirs" },
          h("div", { class: "side-label" }, "Kept on the server"),
          h("div", { class: "side-value", "data-testid": "conflict-theirs" }, formatFieldValue(c.field, c.theirs, vc)),
          h("div", { class: "side-meta", "data-testid": "conflict-theirs-meta" }, theirsMeta),
        ),
      ),
      h("div", { class: "form-actions" }, keepMine, keepTheirs, edit),
      editBox,
      cardErr,
    );
  };

  // ----- a change the server refused -----

  const rebookForm = (r: Refused, discard: HTMLElement): HTMLElement => {
    const start = rebookDefaults(r.data, ctx.tz);
    const staff = providers(ctx.staff());
    const opts: [string, string][] = staff.map((s) => [s.id, `${s.full_name} (${ROLE_LABEL[s.role]})`]);
    if (start.provider_id && !staff.some((s) => s.id === start.provider_id)) opts.unshift([start.provider_id, ctx.staffName(start.provider_id)]);
    const k = r.mutation_id;
    const date = field(dateInput(start.date), { id: `rebook-date-${k}`, name: "date", label: "Date", required: true });
    const time = field(timeInput(start.time), { id: `rebook-time-${k}`, name: "time", label: "Time", required: true });
    const provider = field(select([["", "Choose…"], ...opts], start.provider_id), { id: `rebook-provider-${k}`, name: "provider_id", label: "Provider", required: true });
    const duration = field(textInput({ value: start.duration_minutes, inputmode: "numeric" }), { id: `rebook-duration-${k}`, name: "duration_minutes", label: "Length (minutes)", required: true });
    const fields = [date, time, provider, duration];
    for (const f of fields) {
      f.control.dataset.testid = `rebook-${f.name}`;
      f.error.dataset.testid = `rebook-${f.name}-error`;
    }
    const formErr = banner(`rebook-error-${k}`);
    formErr.dataset.testid = "rebook-error";
    // the provider's next free times from the refused date: one click fills the form in
    const offersBox = h("div");
    const offer = (fromDate: string) => {
      const minutes = Number(duration.control.value.trim());
      if (!provider.control.value || durationError(minutes) !== null) return replace(offersBox);
      const d = r.data && typeof r.data === "object" ? (r.data as Record<string, unknown>) : {};
      // the free times after the one asked for (the typed one, or the refused booking's)
      const typed = buildRebook({ date: date.control.value, time: time.control.value, provider_id: provider.control.value, duration_minutes: duration.control.value }, ctx.tz);
      const asked = typed.ok ? typed.starts_at : typeof d.starts_at === "string" ? d.starts_at : undefined;
      const free = freeTimeOffers(ctx, { providerId: provider.control.value, fromDate: fromDate || ctx.today(), minutes, ignoreId: typeof d.id === "string" ? d.id : undefined, asked }, "rebook-offer", (o) => {
        date.control.value = showDate(o.date);
        time.control.value = showTime(o.time);
        date.setError(null);
        time.setError(null);
        showFieldErrors(fields, {}, formErr);
        save.focus();
      });
      replace(offersBox, free.el);
    };
    const save = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "rebook-save" }, "Rebook");
    const form = h(
      "form",
      { class: "rebook-form", "data-testid": "rebook-form", novalidate: true, "aria-label": "Rebook at another time" },
      h("div", { class: "rebook-grid" }, ...fields.map((f) => f.wrap)),
      h("p", { class: "muted small rebook-note" }, `Date and time are the clinic's (${ctx.tz}). Rebooking sends the booking again at the new time; nothing else about it changes.`),
      offersBox,
      formErr,
      h("div", { class: "form-actions" }, save, discard),
    );
    form.addEventListener("input", (e) => {
      const f = fields.find((x) => x.control === e.target);
      f?.setError(null);
    });
    // another provider or length: other free times
    provider.control.addEventListener("change", () => offer(isoDateOf(date.control.value)));
    duration.control.addEventListener("change", () => offer(isoDateOf(date.control.value)));
    offer(start.date);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const req = buildRebook(
        { date: date.control.value, time: time.control.value, provider_id: provider.control.value, duration_minutes: duration.control.value },
        ctx.tz,
      );
      if (!req.ok) {
        const first = showFieldErrors(fields, req.errors, formErr);
        setBanner(formErr, "Please correct the fields marked below.");
        first?.control.focus();
        return;
      }
      showFieldErrors(fields, {}, formErr);
      save.disabled = true;
      api
        .rebook(r.mutation_id, req.starts_at, req.provider_id, req.duration_minutes)
        .then(() => {
          const w = utcToZoned(req.starts_at, ctx.tz);
          done(`Rebooked for ${showDate(w.date)} at ${showTime(w.time)} with ${ctx.staffName(req.provider_id)}; it is being sent.`);
        })
        .catch(async (raw) => {
          const ce = raw as CommandError;
          if (ce.code === "conflict") {
            const other = ce.conflicting_appointment_id ? await findBooking(ce.conflicting_appointment_id, isoDateOf(date.control.value)) : null;
            setBanner(formErr, `This time clashes with ${other ? clashText(other, ctx.tz) : "another booking"}. Choose another time or provider.`);
            offer(isoDateOf(date.control.value));
            time.control.focus();
          } else if (ce.code === "outside_availability") {
            setBanner(formErr, `${ce.message}. Choose another time or provider.`);
            offer(isoDateOf(date.control.value));
            time.control.focus();
          } else if (ce.code === "validation" && ce.fields) {
            const f = { ...ce.fields };
            if (f.starts_at) {
              f.time = f.starts_at;
              delete f.starts_at;
            }
            const first = showFieldErrors(fields, f, formErr);
            first?.control.focus();
          } else setBanner(formErr, saveErrorText(ce, "book appointments"));
        })
        .finally(() => {
          save.disabled = false;
        });
    });
    return form;
  };

  /** What a change that cannot be sent held, field by field, so it can be entered again. */
  const unreadableData = (data: unknown): HTMLElement => {
    const fields = data && typeof data === "object" ? Object.entries(data as Record<string, unknown>) : [];
    return h(
      "ul",
      { class: "review-fields", "data-testid": "refused-data" },
      fields.map(([k, v]) => h("li", null, `${k.replace(/_/g, " ")}: ${typeof v === "string" ? v : JSON.stringify(v)}`)),
    );
  };

  const refusedCard = (r: Refused): HTMLElement => {
    const kind = refusedKind(r.entity, r.op);
    const cardErr = banner(`refused-error-${r.mutation_id}`);
    cardErr.dataset.testid = "refused-error";
    const why = h("p", { class: "review-reason", "data-testid": "refused-reason" }, r.reason || "The server refused this change.");
    const clash = h("p", { class: "review-clash", "data-testid": "refused-clash" });
    clash.hidden = true;
    if (kind === "booking" && r.conflicting_appointment_id) {
      // Name the booking that holds the slot, in clinic time, as the booking screen does.
      const start = rebookDefaults(r.data, ctx.tz);
      const other = r.conflicting_appointment_id;
      void findBooking(other, start.date).then((row) => {
        if (!row) return;
        why.textContent = "The slot was taken before this booking reached the server.";
        clash.textContent = `It clashes with ${clashText(row, ctx.tz)}.`;
        clash.hidden = false;
      });
    } else if (kind === "booking") {
      why.textContent = `The slot was taken before this booking reached the server (${r.reason}).`;
    }
    const fieldErrs = r.fields && Object.keys(r.fields).length > 0 ? h("p", { class: "review-fields", "data-testid": "refused-fields" }, summarizeFieldErrors(r.fields)) : null;
    const held =
      r.held.length > 0
        ? h(
            "div",
            { class: "review-held", "data-testid": "refused-held" },
            h("strong", null, r.held.length === 1 ? "Waiting for it:" : `Waiting for it (${r.held.length}):`),
            h("ul", null, r.held.map((x) => h("li", null, x.what))),
          )
        : null;
    const discard = h(
      "button",
      {
        type: "button",
        class: "btn btn-quiet-danger",
        "data-testid": "refused-discard",
        onclick: async () => {
          const yes = await confirmDialog("Discard this change?", discardText(r.what, r.held), r.held.length > 0 ? `Discard ${r.held.length + 1} changes` : "Discard", "discard-dialog");
          if (!yes) return;
          try {
            const n = await api.discard(r.mutation_id);
            done(n > 1 ? `Discarded “${r.what}” and ${n - 1} waiting for it.` : `Discarded “${r.what}”.`);
          } catch (raw) {
            setBanner(cardErr, saveErrorText(raw as CommandError, "discard changes"));
          }
        },
      },
      "Discard…",
    );
    let body: HTMLElement | null = null;
    let actions: HTMLElement | null = null;
    if (!r.mine_by_me) {
      // only its author may correct, resend or discard it (the core refuses anyone else)
      actions = h(
        "p",
        { class: "muted", "data-testid": "refused-not-mine" },
        "Entered by another person on this workstation. Only they can correct, resend or discard it: ask them to sign in here.",
      );
    } else if (r.unreadable) {
      // saved by another version in a form this one cannot send: discard is all there is
      actions = h("div", { class: "form-actions" }, discard);
    } else if (kind === "booking") {
      body = rebookForm(r, discard);
    } else if (kind === "registration") {
      actions = h(
        "div",
        { class: "form-actions" },
        h("button", { type: "button", class: "btn btn-primary", "data-testid": "refused-edit", onclick: () => ctx.open({ name: "resend-registration", mutationId: r.mutation_id }) }, "Edit and resend…"),
        discard,
      );
    } else {
      const again = h(
        "button",
        {
          type: "button",
          class: "btn",
          "data-testid": "refused-resend",
          onclick: async () => {
            try {
              await api.resend(r.mutation_id, null);
              done(`Sent “${r.what}” again.`);
            } catch (raw) {
              setBanner(cardErr, saveErrorText(raw as CommandError, "send this change"));
            }
          },
        },
        "Send again",
      );
      actions = h("div", { class: "form-actions" }, again, discard);
    }
    return h(
      "article",
      { class: "review-card review-refused", "data-testid": "review-refused", "data-mutation-id": r.mutation_id, "data-entity": r.entity, "data-op": r.op },
      h("header", { class: "review-card-head" }, h("span", { class: "review-kind kind-refused" }, r.unreadable ? "Cannot be sent" : "Refused by the server"), h("h2", { "data-testid": "refused-what" }, r.what)),
      why,
      clash,
      fieldErrs,
      held,
      h("p", { class: "muted small" }, `Entered ${formatDateTime(r.queued_at, ctx.tz)}. It stays here, unsent, until ${r.unreadable ? "you discard it" : "you correct it or discard it"}.`),
      r.unreadable ? unreadableData(r.data) : null,
      body,
      actions,
      cardErr,
    );
  };

  // ----- two patients who may be one -----

  const person = (p: Patient, side: string): HTMLElement =>
    h(
      "div",
      { class: "side", "data-testid": `duplicate-${side}`, "data-patient-id": p.id },
      h("div", { class: "side-value" }, patientName(p)),
      h(
        "dl",
        { class: "demo demo-compact" },
        h("dt", null, "Sex"),
        h("dd", null, SEX_LABEL[p.sex]),
        h("dt", null, "Born"),
        h("dd", null, `${showDate(p.date_of_birth)} (${formatAge(p.date_of_birth, ctx.today())})`),
        h("dt", null, "MRN"),
        h("dd", { class: "mono" }, p.mrn),
        h("dt", null, "Phone"),
        h("dd", { class: p.phone ? "" : "muted" }, p.phone ?? "—"),
      ),
      h("button", { type: "button", class: "btn btn-small", "data-testid": "duplicate-open", onclick: () => ctx.open({ name: "chart", patientId: p.id }) }, "Open"),
    );

  const duplicateCard = (d: Duplicate): HTMLElement => {
    const cardErr = banner(`dup-error-${reviewKey(d)}`);
    const dismiss = h(
      "button",
      {
        type: "button",
        class: "btn",
        "data-testid": "duplicate-dismiss",
        onclick: async () => {
          try {
            await api.dismissDuplicate(d.a.id, d.b.id);
            done(`Marked ${patientName(d.a)} (MRN ${d.a.mrn}) and MRN ${d.b.mrn} as different people.`);
          } catch (raw) {
            setBanner(cardErr, saveErrorText(raw as CommandError, "change patients"));
          }
        },
      },
      "Not the same person",
    );
    return h(
      "article",
      { class: "review-card review-duplicate", "data-testid": "review-duplicate" },
      h("header", { class: "review-card-head" }, h("span", { class: "review-kind kind-duplicate" }, "Possible duplicate"), h("h2", null, `${patientName(d.a)}, born ${showDate(d.a.date_of_birth)}`)),
      h("p", { class: "review-what" }, "Two records have the same name and date of birth (registered at two workstations, perhaps while offline). Compare them; merge them if they are one person, or say they are different people."),
      h("div", { class: "compare" }, person(d.a, "a"), person(d.b, "b")),
      h(
        "div",
        { class: "form-actions" },
        ctx.can("patient_write") && ctx.can("vital_signs_write")
          ? h("button", { type: "button", class: "btn btn-primary", "data-testid": "duplicate-merge", onclick: () => ctx.open({ name: "merge", a: d.a.id, b: d.b.id }) }, "Merge…")
          : null,
        dismiss,
      ),
      cardErr,
    );
  };

  const cardFor = (item: ReviewItem): HTMLElement => {
    switch (item.kind) {
      case "field_conflict":
        return conflictCard(item);
      case "refused":
        return refusedCard(item);
      case "possible_duplicate":
        return duplicateCard(item);
    }
  };

  const render = (items: ReviewItem[]) => {
    const next = new Map<string, { json: string; el: HTMLElement }>();
    for (const item of items) {
      const key = reviewKey(item);
      const json = JSON.stringify(item);
      const old = cards.get(key);
      next.set(key, old && old.json === json ? old : { json, el: cardFor(item) });
    }
    cards = next;
    const focused = document.activeElement;
    if (items.length === 0) {
      replace(
        list,
        h(
          "div",
          { class: "panel review-empty", "data-testid": "review-empty" },
          h("h2", null, "Nothing to review"),
          h("p", { class: "muted" }, "Every change made here has reached the server or is on its way, and nothing waits for a decision."),
        ),
      );
      summary.textContent = "";
    } else {
      // Touch the list only when its cards changed: moving a card out and back would take the
      // focus (and the caret) from someone typing into it while a sync event arrives.
      const els = [...next.values()].map((c) => c.el);
      const same = els.length === list.children.length && els.every((e, i) => list.children[i] === e);
      if (!same) replace(list, els);
      summary.textContent = `${items.length} to review: ${reviewSummary(items)}`;
    }
    list.dataset.count = String(items.length);
    intro.hidden = items.length === 0;
    list.removeAttribute("aria-busy");
    if (focused instanceof HTMLElement && focused !== document.activeElement) {
      if (focused.isConnected) focused.focus();
      else if (list.contains(document.activeElement) === false) heading.focus();
    }
  };

  const load = async () => {
    const my = ++seq;
    try {
      const r = await api.reviewList();
      if (my !== seq) return;
      setBanner(err, null);
      render(r.items);
    } catch (raw) {
      if (my !== seq) return;
      setBanner(err, `Could not read the review list: ${(raw as CommandError).message}`);
    }
  };
  void load();

  return {
    el,
    title: "Review",
    focus: () => heading.focus(),
    refresh: () => void load(),
  };
}

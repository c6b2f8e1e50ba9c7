// The demographics form: registering a patient, editing a patient's details, and correcting a
// registration the server refused. Client checks first (the model's rules), then the core's
// field errors under each field. What was typed stays until it is saved or discarded, even
// across Esc and across a failed save. Registering also shows possible existing records (same
// date of birth, same or similar name) before saving.

import { api, newId } from "../api";
import type { CommandError } from "../bindings/CommandError";
import type { PossibleDuplicate } from "../bindings/PossibleDuplicate";
import { h, replace } from "../dom";
import { checkDateOfBirth, formatAge } from "../lib/dates";
import { duplicateKey, duplicateQuery, duplicatesAnnouncement, reasonText, type DuplicateQuery } from "../lib/duplicates";
import { SEX_LABEL, patientName } from "../lib/format";
import { KIN_LABEL } from "../lib/format";
import { COMMON_LANGUAGES, languageName } from "../lib/languages";
import { KIN_RELATIONSHIPS, SEXES, buildNewPatient, type PatientFormValues } from "../lib/patientForm";
import { identifierEditor } from "../ui/identifiers";
import { datePattern, formatLongDate, showDate } from "../lib/locale";
import type { Ctx, Screen } from "../ui/context";
import { banner, field, saveErrorText, select, setBanner, showFieldErrors, textInput, type Field } from "../ui/forms";

interface Draft {
  id: string;
  values: Partial<PatientFormValues>;
}

/** What `prepare` makes of the form: errors to show, or the save to run. */
export type Prepared =
  | { ok: false; errors: Record<string, string[]>; message?: string }
  | { ok: true; save: () => Promise<void> };

export interface PatientFormOptions {
  /** Test-id and element-id prefix: `reg` gives `reg-given_name`, `reg-save`, `reg-error`. */
  prefix: string;
  title: string;
  saveLabel: string;
  /** Key of the kept unsaved entry in `ctx.drafts`. */
  draftKey: string;
  /** Values to start from when nothing unsaved was kept. */
  initial?: Partial<PatientFormValues>;
  /** Shown between the title and the form (e.g. why the server refused it). */
  intro?: Node | null;
  /** Field errors to show at once (the server's, for a refused registration). */
  initialErrors?: Record<string, string[]> | null;
  /** Words for "Not saved: your role may not …". */
  what: string;
  /** Checks the values (`id` is the kept id of a new record) and returns the save to run. */
  prepare(values: PatientFormValues, id: string): Prepared;
  /** Starts the form again from `initial`, dropping what was kept. */
  restart(): void;
  /** Shown inside the form, across both columns, after administrative sex (e.g. possible duplicates). */
  slot?: HTMLElement;
  /** Told the values after every change (and after the date of birth is tidied on leaving it). */
  onChange?(values: PatientFormValues): void;
  /** Asked before saving valid values; false keeps the form open (the hook says why). */
  beforeSave?(values: PatientFormValues): Promise<boolean>;
}

/** The languages offered, with a record's own tag kept when it is not among them. */
function languageChoices(current: string): [string, string][] {
  const list: [string, string][] = COMMON_LANGUAGES.map(([t, n]) => [t, n]);
  if (current && !list.some(([t]) => t.toLowerCase() === current.toLowerCase())) list.push([current, languageName(current)]);
  return list;
}

/** The demographics form as a screen. The save itself (and where to go after) is `prepare`'s. */
export function patientFormScreen(ctx: Ctx, o: PatientFormOptions): Screen {
  const p = o.prefix;
  const draft = ctx.drafts.get(o.draftKey) as Draft | undefined;
  const id = draft?.id ?? newId();
  const v: Partial<PatientFormValues> = draft?.values ?? o.initial ?? {};
  const mk = (name: keyof PatientFormValues, label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, extra: { required?: boolean; hint?: string; class?: string } = {}) => {
    control.value = v[name] ?? control.value;
    return field(control, { id: `${p}-${name}`, name, label, ...extra });
  };
  const given = mk("given_name", "Given name", textInput({ autocomplete: "off", maxlength: 100 }), { required: true });
  const family = mk("family_name", "Family name", textInput({ maxlength: 100 }), { required: true });
  const dob = mk("date_of_birth", "Date of birth", textInput({ placeholder: datePattern() }), {
    required: true,
    hint: datePattern(),
  });
  const dobEcho = h("span", { class: "field-echo", id: `${p}-date_of_birth-echo`, "data-testid": `${p}-date_of_birth-echo`, "aria-live": "polite" });
  dob.wrap.querySelector(".control-row")?.appendChild(dobEcho);
  const sex = mk("sex", "Administrative sex", select([["", "Choose…"], ...SEXES]), { required: true });
  const phone = mk("phone", "Phone", textInput({ inputmode: "tel", autocomplete: "off" }));
  const email = mk("email", "E-mail", textInput({ inputmode: "email", autocomplete: "off" }));
  const language = mk(
    "preferred_language",
    "Preferred language",
    select([["", "Not recorded"], ...languageChoices(v.preferred_language ?? "")]),
  );
  const interpreterBox = h("input", { type: "checkbox", checked: v.interpreter_required === "yes" });
  const interpreter = field(interpreterBox, { id: `${p}-interpreter_required`, name: "interpreter_required", label: "Interpreter needed", class: "checkbox-field" });
  const address = mk("address", "Street address", h("textarea", { rows: 2, autocomplete: "off" }), { class: "span-2", hint: "House, street, apartment; one line per line" });
  const city = mk("city", "City or town", textInput({ maxlength: 100 }));
  const state = mk("state", "State or region", textInput({ maxlength: 100 }));
  const postal = mk("postal_code", "Postal code", textInput({ maxlength: 20 }));
  const country = mk("country", "Country", textInput({ maxlength: 100 }));
  const ecName = mk("emergency_contact_name", "Emergency contact name", textInput());
  const ecPhone = mk("emergency_contact_phone", "Emergency contact phone", textInput({ inputmode: "tel" }));
  const kinName = mk("next_of_kin_name", "Next of kin", textInput({ maxlength: 200 }));
  const kinRel = mk("next_of_kin_relationship", "Relationship", select([["", "Choose…"], ...KIN_RELATIONSHIPS.map((k) => [k, KIN_LABEL[k]] as [string, string])]));
  const kinPhone = mk("next_of_kin_phone", "Next of kin's phone", textInput({ inputmode: "tel" }));
  const identifiers = identifierEditor(p, v.identifiers ?? "[]");
  const allergies = mk("allergies", "Allergies", textInput({ placeholder: "e.g. penicillin, latex" }), {
    hint: "Separate with commas. Leave empty when none are known.",
    class: "span-2",
  });
  const nkaBox = h("input", { type: "checkbox", checked: v.no_known_allergies === "yes" });
  const nka = field(nkaBox, {
    id: `${p}-no_known_allergies`,
    name: "no_known_allergies",
    label: "No known allergies",
    class: "checkbox-field span-2",
    hint: "Tick only when the patient was asked; left empty and unticked, the chart says \"Allergies not recorded\".",
  });
  // a listed allergy makes "none known" moot: unticked and out of reach while there is one
  const syncNka = () => {
    const listed = allergies.control.value.trim() !== "";
    if (listed) nkaBox.checked = false;
    nkaBox.disabled = listed;
  };
  allergies.control.addEventListener("input", syncNka);
  syncNka();
  const notes = mk("notes", "Notes", h("textarea", { rows: 2 }), { class: "span-2" });
  const fields: Field[] = [given, family, dob, sex, allergies, nka, phone, email, language, interpreter, address, city, state, postal, country, ecName, ecPhone, kinName, kinRel, kinPhone, identifiers, notes];
  const section = (title: string) => h("h2", { class: "form-section span-2" }, title);

  const err = banner(`${p}-error`);
  const restored = h(
    "div",
    { class: "banner banner-info", "data-testid": `${p}-restored` },
    "Your unsaved entry was kept. ",
    h("button", { type: "button", class: "link-btn", "data-testid": `${p}-discard`, onclick: () => discard() }, "Discard it and start again"),
  );
  restored.hidden = !draft;
  const save = h("button", { type: "submit", class: "btn btn-primary", id: `${p}-save`, "data-testid": `${p}-save` }, o.saveLabel, h("kbd", { "aria-hidden": "true" }, "Ctrl+Enter"));
  const cancel = h("button", { type: "button", class: "btn", id: `${p}-cancel`, "data-testid": `${p}-cancel`, onclick: () => ctx.back() }, "Close", h("kbd", { "aria-hidden": "true" }, "Esc"));

  const form = h(
    "form",
    { class: "form-grid", id: `${p}-form`, "data-testid": `${p}-form`, novalidate: true, "aria-labelledby": `${p}-title` },
    ...[given, family, dob, sex].map((f) => f.wrap),
    o.slot ?? null,
    ...[allergies, nka].map((f) => f.wrap),
    ...[phone, email, language, interpreter].map((f) => f.wrap),
    section("Address"),
    ...[address, city, state, postal, country].map((f) => f.wrap),
    section("Contacts"),
    ...[ecName, ecPhone, kinName, kinRel, kinPhone].map((f) => f.wrap),
    section("Identifiers and notes"),
    ...[identifiers, notes].map((f) => f.wrap),
    h("div", { class: "form-actions span-2" }, save, cancel),
  );
  const el = h(
    "section",
    { class: "screen form-screen", "aria-labelledby": `${p}-title` },
    h("div", { class: "screen-head" }, h("h1", { id: `${p}-title` }, o.title)),
    o.intro ?? null,
    restored,
    err,
    form,
  );

  const values = (): PatientFormValues => ({
    given_name: given.control.value,
    family_name: family.control.value,
    date_of_birth: dob.control.value,
    sex: sex.control.value,
    phone: phone.control.value,
    email: email.control.value,
    address: address.control.value,
    city: city.control.value,
    state: state.control.value,
    postal_code: postal.control.value,
    country: country.control.value,
    preferred_language: language.control.value,
    interpreter_required: interpreterBox.checked ? "yes" : "",
    emergency_contact_name: ecName.control.value,
    emergency_contact_phone: ecPhone.control.value,
    next_of_kin_name: kinName.control.value,
    next_of_kin_relationship: kinRel.control.value,
    next_of_kin_phone: kinPhone.control.value,
    // every row as it stands, blank ones too: errors name rows by their place on screen
    identifiers: identifiers.control.value,
    allergies: allergies.control.value,
    no_known_allergies: nkaBox.checked ? "yes" : "",
    notes: notes.control.value,
  });
  const initialText = JSON.stringify({ ...values(), ...(o.initial ?? {}) });
  const untouched = () => JSON.stringify(values()) === initialText || Object.values(values()).every((x) => x.trim() === "");

  const echoDob = () => {
    const text = dob.control.value.trim();
    if (!text) {
      dobEcho.textContent = "";
      return;
    }
    const r = checkDateOfBirth(text, ctx.today());
    dobEcho.textContent = r.ok ? `${formatLongDate(r.date)} · ${formatAge(r.date, ctx.today())}` : "";
  };
  echoDob();
  if (o.initialErrors) showFieldErrors(fields, o.initialErrors, err);

  form.addEventListener("input", (e) => {
    if (untouched()) ctx.drafts.delete(o.draftKey);
    else ctx.drafts.set(o.draftKey, { id, values: values() } satisfies Draft);
    if (e.target === dob.control) {
      echoDob();
      dob.setError(null);
    } else {
      const f = fields.find((x) => x.control === e.target);
      if (f && f.wrap.classList.contains("invalid")) f.setError(null);
    }
    o.onChange?.(values());
  });
  dob.control.addEventListener("blur", () => {
    const text = dob.control.value.trim();
    if (!text) return;
    const r = checkDateOfBirth(text, ctx.today());
    if (r.ok) {
      dob.control.value = showDate(r.date);
      echoDob();
      o.onChange?.(values());
    } else dob.setError(r.error);
  });

  let busy = false;
  const submit = async () => {
    if (busy) return;
    const r = o.prepare(values(), id);
    if (!r.ok) {
      const first = showFieldErrors(fields, r.errors, err);
      setBanner(err, r.message ?? "Please correct the fields marked below.", r.message && !first ? "info" : "error");
      first?.control.focus();
      return;
    }
    showFieldErrors(fields, {}, err);
    busy = true;
    save.disabled = true;
    try {
      if (o.beforeSave && !(await o.beforeSave(values()))) return;
      await r.save();
      ctx.drafts.delete(o.draftKey);
    } catch (raw) {
      const e = raw as CommandError;
      if (e.code === "validation" && e.fields) {
        const first = showFieldErrors(fields, e.fields, err);
        if (!first || err.hidden) setBanner(err, "The clinic's records refused some fields; see below.");
        first?.control.focus();
      } else {
        setBanner(err, saveErrorText(e, o.what));
      }
    } finally {
      busy = false;
      save.disabled = false;
    }
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void submit();
  });

  const discard = () => {
    ctx.drafts.delete(o.draftKey);
    o.restart();
  };

  return {
    el,
    title: o.title,
    focus: () => given.control.focus(),
    form: { save: () => void submit(), close: () => ctx.back() },
  };
}

/** Wait after the last keystroke before asking for possible duplicates, ms. */
const DUPLICATE_DEBOUNCE_MS = 300;

/**
 * The "Possible existing records" panel of the registration form: asks the core
 * (`possible_duplicates`) once the family name and date of birth are filled (debounced) and
 * again on Save, lists the matches with what tells them apart and "Open this record" (the
 * draft stays in `ctx.drafts`), and holds the save until "Register a new patient anyway" is
 * chosen for that name and date of birth. Test ids: `reg-duplicates`, `reg-duplicates-status`,
 * `reg-duplicate` (`data-patient-id`, `data-reason`), `reg-duplicate-open`, `reg-register-anyway`.
 */
function duplicatePanel(ctx: Ctx, save: () => void) {
  const status = h("p", { class: "sr-only", id: "reg-duplicates-status", "data-testid": "reg-duplicates-status", "aria-live": "polite" });
  const list = h("ul", { class: "dup-list", "aria-labelledby": "reg-duplicates-title" });
  const anyway = h(
    "button",
    { type: "button", class: "btn", id: "reg-register-anyway", "data-testid": "reg-register-anyway", onclick: () => confirmAnyway() },
    "Register a new patient anyway",
  );
  const panel = h(
    "section",
    { class: "dup-panel span-2", id: "reg-duplicates", "data-testid": "reg-duplicates", "aria-labelledby": "reg-duplicates-title", tabindex: -1 },
    h("h2", { id: "reg-duplicates-title" }, "Possible existing records"),
    h("p", { class: "muted" }, "Same date of birth and the same or a similar name. Check before registering a second record for the same person."),
    list,
    h("div", { class: "dup-actions" }, anyway),
  );
  panel.hidden = true;
  const wrap = h("div", { class: "span-2 dup-wrap" }, status, panel);

  let shownKey = "";
  let shown: PossibleDuplicate[] = [];
  let confirmedKey: string | null = null;
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const show = (key: string, found: PossibleDuplicate[]) => {
    const changed = key !== shownKey || found.map((d) => d.patient.record.id).join() !== shown.map((d) => d.patient.record.id).join();
    shownKey = key;
    shown = found;
    if (!changed) return;
    replace(
      list,
      ...found.map((d) => {
        const p = d.patient.record;
        return h(
          "li",
          { class: "dup-item", "data-testid": "reg-duplicate", "data-patient-id": p.id, "data-reason": d.reason },
          h(
            "div",
            { class: "dup-who" },
            h("strong", null, patientName(p)),
            h("span", null, SEX_LABEL[p.sex]),
            h("span", null, `DOB ${showDate(p.date_of_birth)} (${formatAge(p.date_of_birth, ctx.today())})`),
            h("span", { class: "mono" }, `MRN ${p.mrn}`),
            h("span", null, p.phone ? `Phone ${p.phone}` : "No phone"),
            h("span", { class: "dup-address" }, p.address ?? "No address"),
            h("span", { class: "muted" }, reasonText(d.reason)),
          ),
          h(
            "button",
            {
              type: "button",
              class: "btn btn-small",
              "data-testid": "reg-duplicate-open",
              "aria-label": `Open the record of ${patientName(p)}, MRN ${p.mrn}`,
              onclick: () => ctx.open({ name: "chart", patientId: p.id }),
            },
            "Open this record",
          ),
        );
      }),
    );
    panel.hidden = found.length === 0;
    status.textContent = duplicatesAnnouncement(found.length);
  };

  const ask = async (q: DuplicateQuery | null): Promise<PossibleDuplicate[]> => {
    const my = ++seq;
    if (!q) {
      show("", []);
      return [];
    }
    const found = await api.possibleDuplicates(q.given_name, q.family_name, q.date_of_birth);
    if (my === seq) show(duplicateKey(q), found);
    return found;
  };

  const confirmAnyway = () => {
    confirmedKey = shownKey;
    status.textContent = "Registering a new patient.";
    save();
  };

  return {
    el: wrap,
    /** Debounced check while typing. */
    changed: (v: PatientFormValues) => {
      if (timer) clearTimeout(timer);
      const q = duplicateQuery(v, ctx.today());
      if (duplicateKey(q) === shownKey) return;
      timer = setTimeout(() => {
        timer = null;
        ask(q).catch(() => undefined);
      }, DUPLICATE_DEBOUNCE_MS);
    },
    /** The check on Save: true when there is nothing to confirm, or it was confirmed. */
    beforeSave: async (v: PatientFormValues): Promise<boolean> => {
      if (timer) clearTimeout(timer);
      timer = null;
      const q = duplicateQuery(v, ctx.today());
      let found: PossibleDuplicate[];
      try {
        found = await ask(q);
      } catch (raw) {
        ctx.toast(`Could not check for existing records: ${(raw as CommandError).message}`, "error");
        return true;
      }
      if (found.length === 0 || confirmedKey === duplicateKey(q)) return true;
      panel.focus();
      return false;
    },
    destroy: () => {
      if (timer) clearTimeout(timer);
    },
  };
}

export function registerScreen(ctx: Ctx): Screen {
  let screen: Screen | null = null;
  const dups = duplicatePanel(ctx, () => screen?.form?.save());
  screen = patientFormScreen(ctx, {
    prefix: "reg",
    title: "Register patient",
    saveLabel: "Register",
    draftKey: "register",
    what: "register patients",
    slot: dups.el,
    onChange: (v) => dups.changed(v),
    beforeSave: (v) => dups.beforeSave(v),
    restart: () => ctx.replace({ name: "register" }),
    prepare: (values, id) => {
      const r = buildNewPatient(values, ctx.today(), id);
      if (!r.ok) return r;
      return {
        ok: true,
        save: async () => {
          const saved = await api.registerPatient(r.patient);
          const p = saved.record;
          ctx.toast(
            saved.pending && !ctx.online()
              ? `Registered ${patientName(p)} on this workstation (provisional number ${p.mrn}); it will be sent when the server is reachable.`
              : `Registered ${patientName(p)}${saved.pending ? "" : `, MRN ${p.mrn}`}.`,
            "success",
          );
          ctx.drafts.delete("register");
          ctx.replace({ name: "chart", patientId: p.id });
        },
      };
    },
  });
  // a kept draft: look again at once
  const kept = ctx.drafts.get("register") as { values?: Partial<PatientFormValues> } | undefined;
  if (kept?.values) dups.changed({ given_name: kept.values.given_name ?? "", family_name: kept.values.family_name ?? "", date_of_birth: kept.values.date_of_birth ?? "" } as PatientFormValues);
  return { ...screen, destroy: () => dups.destroy() };
}

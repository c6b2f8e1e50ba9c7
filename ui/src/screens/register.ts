// Register a patient. Client checks first (the model's rules), then the core's field errors
// under each field. What was typed stays until it is saved or discarded, even across Esc.

import { api, newId } from "../api";
import type { CommandError } from "../bindings/CommandError";
import { h } from "../dom";
import { checkDateOfBirth, formatAge } from "../lib/dates";
import { patientName } from "../lib/format";
import { SEXES, buildNewPatient, type PatientFormValues } from "../lib/patientForm";
import { formatLongDate } from "../lib/tz";
import type { Ctx, Screen } from "../ui/context";
import { banner, field, saveErrorText, select, setBanner, showFieldErrors, textInput, type Field } from "../ui/forms";

interface Draft {
  id: string;
  values: Partial<PatientFormValues>;
}

const DRAFT_KEY = "register";

export function registerScreen(ctx: Ctx): Screen {
  const draft = ctx.drafts.get(DRAFT_KEY) as Draft | undefined;
  const id = draft?.id ?? newId();
  const v = draft?.values ?? {};
  const mk = (name: keyof PatientFormValues, label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, extra: { required?: boolean; hint?: string; class?: string } = {}) => {
    control.value = v[name] ?? control.value;
    return field(control, { id: `reg-${name}`, name, label, ...extra });
  };
  const given = mk("given_name", "Given name", textInput({ autocomplete: "off", maxlength: 100 }), { required: true });
  const family = mk("family_name", "Family name", textInput({ maxlength: 100 }), { required: true });
  const dob = mk("date_of_birth", "Date of birth", textInput({ placeholder: "YYYY-MM-DD", inputmode: "numeric" }), {
    required: true,
    hint: "YYYY-MM-DD or DD.MM.YYYY",
  });
  const dobEcho = h("span", { class: "field-echo", id: "reg-date_of_birth-echo", "data-testid": "reg-date_of_birth-echo", "aria-live": "polite" });
  dob.wrap.querySelector(".control-row")?.appendChild(dobEcho);
  const sex = mk("sex", "Administrative sex", select([["", "Choose…"], ...SEXES]), { required: true });
  const phone = mk("phone", "Phone", textInput({ inputmode: "tel", autocomplete: "off" }));
  const email = mk("email", "E-mail", textInput({ inputmode: "email", autocomplete: "off" }));
  const address = mk("address", "Address", h("textarea", { rows: 2 }), { class: "span-2" });
  const ecName = mk("emergency_contact_name", "Emergency contact name", textInput());
  const ecPhone = mk("emergency_contact_phone", "Emergency contact phone", textInput({ inputmode: "tel" }));
  const allergies = mk("allergies", "Allergies", textInput({ placeholder: "e.g. penicillin, latex" }), {
    hint: "Separate with commas. Leave empty when none are known.",
    class: "span-2",
  });
  const notes = mk("notes", "Notes", h("textarea", { rows: 3 }), { class: "span-2" });
  const fields: Field[] = [given, family, dob, sex, phone, email, address, ecName, ecPhone, allergies, notes];

  const err = banner("reg-error");
  const restored = h(
    "div",
    { class: "banner banner-info", "data-testid": "reg-restored" },
    "Your unsaved entry was kept. ",
    h("button", { type: "button", class: "link-btn", "data-testid": "reg-discard", onclick: () => discard() }, "Discard it and start again"),
  );
  restored.hidden = !draft;
  const save = h("button", { type: "submit", class: "btn btn-primary", id: "reg-save", "data-testid": "reg-save" }, "Register", h("kbd", { "aria-hidden": "true" }, "Ctrl+Enter"));
  const cancel = h("button", { type: "button", class: "btn", id: "reg-cancel", "data-testid": "reg-cancel", onclick: () => ctx.back() }, "Close", h("kbd", { "aria-hidden": "true" }, "Esc"));

  const form = h(
    "form",
    { class: "form-grid", id: "reg-form", "data-testid": "reg-form", novalidate: true, "aria-labelledby": "reg-title" },
    ...fields.map((f) => f.wrap),
    h("div", { class: "form-actions span-2" }, save, cancel),
  );
  const el = h(
    "section",
    { class: "screen form-screen", "aria-labelledby": "reg-title" },
    h("div", { class: "screen-head" }, h("h1", { id: "reg-title" }, "Register patient")),
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
    emergency_contact_name: ecName.control.value,
    emergency_contact_phone: ecPhone.control.value,
    allergies: allergies.control.value,
    notes: notes.control.value,
  });
  const isEmpty = () => Object.values(values()).every((x) => x.trim() === "");

  const echoDob = () => {
    const text = dob.control.value.trim();
    if (!text) {
      dobEcho.textContent = "";
      return;
    }
    const p = checkDateOfBirth(text, ctx.today());
    dobEcho.textContent = p.ok ? `${formatLongDate(p.date)} · ${formatAge(p.date, ctx.today())}` : "";
  };
  echoDob();

  form.addEventListener("input", (e) => {
    if (isEmpty()) ctx.drafts.delete(DRAFT_KEY);
    else ctx.drafts.set(DRAFT_KEY, { id, values: values() } satisfies Draft);
    if (e.target === dob.control) {
      echoDob();
      dob.setError(null);
    } else {
      const f = fields.find((x) => x.control === e.target);
      if (f && f.wrap.classList.contains("invalid")) f.setError(null);
    }
  });
  dob.control.addEventListener("blur", () => {
    const text = dob.control.value.trim();
    if (!text) return;
    const p = checkDateOfBirth(text, ctx.today());
    if (p.ok) {
      dob.control.value = p.date;
      echoDob();
    } else dob.setError(p.error);
  });

  let busy = false;
  const submit = async () => {
    if (busy) return;
    const r = buildNewPatient(values(), ctx.today(), id);
    if (!r.ok) {
      const first = showFieldErrors(fields, r.errors, err);
      setBanner(err, "Please correct the fields marked below.");
      first?.control.focus();
      return;
    }
    showFieldErrors(fields, {}, err);
    busy = true;
    save.disabled = true;
    try {
      const saved = await api.registerPatient(r.patient);
      ctx.drafts.delete(DRAFT_KEY);
      const p = saved.record;
      ctx.toast(
        saved.pending && !ctx.online()
          ? `Registered ${patientName(p)} on this workstation (provisional number ${p.mrn}); it will be sent when the server is reachable.`
          : `Registered ${patientName(p)}${saved.pending ? "" : `, MRN ${p.mrn}`}.`,
        "success",
      );
      ctx.replace({ name: "chart", patientId: p.id });
    } catch (raw) {
      const e = raw as CommandError;
      if (e.code === "validation" && e.fields) {
        const first = showFieldErrors(fields, e.fields, err);
        if (!first || err.hidden) setBanner(err, "The clinic's records refused some fields; see below.");
        first?.control.focus();
      } else {
        setBanner(err, saveErrorText(e, "register patients"));
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
    ctx.drafts.delete(DRAFT_KEY);
    ctx.replace({ name: "register" });
  };

  return {
    el,
    title: "Register patient",
    focus: () => given.control.focus(),
    form: { save: () => void submit(), close: () => ctx.back() },
  };
}

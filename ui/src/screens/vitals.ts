// Record vital signs: one form, Tab order as measured, units chosen and remembered, impossible
// values refused at the field, abnormal ones flagged as typed, live BMI and NEWS2. Flags and
// NEWS2 follow the patient's age at the measured-at date: under 16 no adult bands and no NEWS2.

import { clockFieldNote, nowMs } from "../lib/clock";
import { api, newId } from "../api";
import type { AgeAt } from "../bindings/AgeAt";
import type { CommandError } from "../bindings/CommandError";
import type { Consciousness } from "../bindings/Consciousness";
import type { Local } from "../bindings/Local";
import type { VitalSigns } from "../bindings/VitalSigns";
import type { Measurements } from "../bindings/Measurements";
import type { NewVitalSigns } from "../bindings/NewVitalSigns";
import type { Patient } from "../bindings/Patient";
import { h, replace } from "../dom";
import { CONSCIOUSNESS_LABEL, FIELD_LABEL, patientName, summarizeFieldErrors } from "../lib/format";
import { utcToZoned, zonedToUtc } from "../lib/tz";
import { dateTimePattern, isoDateOf, parseDateTime, showDate, showTime } from "../lib/locale";
import {
  decimalsOf,
  formatInUnit,
  loadUnitPrefs,
  saveUnitPrefs,
  unitLabel,
  type HeightUnit,
  type TemperatureUnit,
  type UnitPrefs,
  type WeightUnit,
} from "../lib/units";
import { RULES } from "../bindings/rules";
import {
  adultThresholdsApply,
  ageAtMeasurement,
  bmi as bmiOf,
  childAgeWords,
  isWithdrawn,
  checkField,
  flagOf,
  flagsForAge,
  measurementsFrom,
  news2Missing,
  news2RiskText,
  news2Summary,
  news2Escalation,
  escalationText,
  validateMeasurements,
  type FieldUnit,
  type NumericField,
} from "../lib/vitals";
import type { Ctx, Screen } from "../ui/context";
import { banner, field, saveErrorText, select, setBanner, showFieldErrors, textInput, type Field } from "../ui/forms";
import { patientBanner } from "./common";

interface NumericSpec {
  name: NumericField;
  label: string;
  unit: () => FieldUnit;
  fixedUnit?: string;
}

interface Draft {
  id: string;
  units: UnitPrefs;
  values: Record<string, string>;
}

/**
 * Reads a date and time typed the clinic's way (`03/14/2024 9:45 AM`, `2024-03-14 09:45`, see
 * `parseDateTime`) as clinic time; the UTC instant or an error.
 */
export function parseMeasuredAt(text: string, tz: string, nowMs: number): { ok: true; instant: string } | { ok: false; error: string } {
  const p = parseDateTime(text);
  if (!p.ok) return p;
  const [date = "", time = ""] = p.value.split(" ");
  const instant = zonedToUtc(date, time, tz);
  if (Date.parse(instant) > nowMs + 5 * 60 * 1000) return { ok: false, error: "cannot be in the future" };
  return { ok: true, instant };
}

/** The WHO words for a BMI. */
export function bmiCategory(b: number): string {
  if (b < 18.5) return "underweight";
  if (b < 25) return "healthy weight";
  if (b < 30) return "overweight";
  return "obese";
}

/**
 * The vitals form: a new set, or with `amendId` the amendment of a recorded set (its values
 * filled in, its time fixed, a reason required; `medoffice_model::correction`).
 */
export function vitalsScreen(ctx: Ctx, patientId: string, amendId?: string): Screen {
  const draftKey = amendId ? `vitals-amend:${amendId}` : `vitals:${patientId}`;
  const draft = ctx.drafts.get(draftKey) as Draft | undefined;
  const id = draft?.id ?? newId();
  const units: UnitPrefs = draft?.units ?? loadUnitPrefs(localStorage);
  const dv = draft?.values ?? {};

  // Header: who is being measured (with allergies), filled in when the chart answers.
  const head = h("div", { class: "vitals-patient", "data-testid": "vitals-patient" }, h("p", { class: "muted" }, "Loading patient…"));
  let patient: Local<Patient> | null = null;
  void api
    .patientChart(patientId)
    .then((c) => {
      patient = c.patient;
      if (amendId) startAmending(c.vitals.find((v) => v.record.id === amendId) ?? null);
      replace(
        head,
        patientBanner({
          patient: c.patient,
          heading: h("h2", { class: "banner-name", "data-testid": "banner-name" }, patientName(c.patient.record)),
          today: ctx.today(),
          vitals: c.vitals,
          tz: ctx.tz,
          units: loadUnitPrefs(localStorage),
        }),
      );
      screen.title = `Vitals · ${patientName(c.patient.record)}`;
      renderLive(); // the age decides which flags apply
    })
    .catch((e: CommandError) => replace(head, h("div", { class: "banner banner-error", role: "alert" }, `Could not load the patient: ${e.message}`)));

  // Measured at + units (above the measurements: reachable with Shift+Tab from systolic).
  const nowWall = utcToZoned(nowMs(), ctx.tz);
  const measuredAt = field(textInput({ value: dv.measured_at ?? `${showDate(nowWall.date)} ${showTime(nowWall.time)}`, placeholder: dateTimePattern(), title: `Clinic time (${ctx.tz})` }), {
    id: "vitals-measured_at",
    name: "measured_at",
    label: "Measured at (clinic time)",
    // a laptop whose clock drifted: say so where the time is, not only in the status bar
    hint: clockFieldNote() || undefined,
  });
  const tempUnit = field(select([["C", "°C"], ["F", "°F"]], units.temperature), { id: "vitals-unit-temperature", name: "unit_temperature", label: "Temperature" });
  const weightUnit = field(select([["kg", "kg"], ["lb", "lb"]], units.weight), { id: "vitals-unit-weight", name: "unit_weight", label: "Weight" });
  const heightUnit = field(select([["cm", "cm"], ["in", "in"]], units.height), { id: "vitals-unit-height", name: "unit_height", label: "Height" });

  const specs: NumericSpec[] = [
    { name: "systolic_mmhg", label: "BP systolic", unit: () => null, fixedUnit: "mmHg" },
    { name: "diastolic_mmhg", label: "BP diastolic", unit: () => null, fixedUnit: "mmHg" },
    { name: "heart_rate_bpm", label: "Heart rate", unit: () => null, fixedUnit: "/min" },
    { name: "respiratory_rate_bpm", label: "Respiratory rate", unit: () => null, fixedUnit: "/min" },
    { name: "spo2_pct", label: "SpO2", unit: () => null, fixedUnit: "%" },
    { name: "temperature_c", label: "Temperature", unit: () => units.temperature },
    { name: "weight_kg", label: "Weight", unit: () => units.weight },
    { name: "height_cm", label: "Height", unit: () => units.height },
    { name: "pain_score", label: "Pain (0–10)", unit: () => null, fixedUnit: "/10" },
  ];
  const numeric = new Map<NumericField, { spec: NumericSpec; f: Field<HTMLInputElement>; unitEl: HTMLSpanElement; flagEl: HTMLSpanElement }>();
  for (const spec of specs) {
    const integer = !["temperature_c", "weight_kg", "height_cm"].includes(spec.name);
    const unitEl = h("span", { class: "unit", id: `vitals-${spec.name}-unit`, "aria-hidden": "true" });
    const flagEl = h("span", { class: "live-flag", id: `vitals-flag-${spec.name}`, "data-testid": `vitals-flag-${spec.name}` });
    const input = textInput({ inputmode: integer ? "numeric" : "decimal", class: "num-input", value: dv[spec.name] ?? "" });
    const f = field(input, { id: `vitals-${spec.name}`, name: spec.name, label: spec.label, after: unitEl, class: "vital" });
    f.wrap.insertBefore(flagEl, f.error);
    input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby")} vitals-flag-${spec.name} vitals-${spec.name}-unit`);
    numeric.set(spec.name, { spec, f, unitEl, flagEl });
  }
  const nf = (n: NumericField) => {
    const x = numeric.get(n);
    if (!x) throw new Error(n);
    return x;
  };
  const onOxygen = field(h("input", { type: "checkbox", checked: dv.on_oxygen === "true" }), {
    id: "vitals-on_oxygen",
    name: "on_oxygen",
    label: "Air / oxygen",
    class: "vital checkbox-field",
  });
  onOxygen.wrap
    .querySelector(".control-row")
    ?.appendChild(h("label", { for: "vitals-on_oxygen", class: "inline-label", title: "Unticked with an SpO2 reading means room air" }, "supplemental O2"));
  const consciousnessFlag = h("span", { class: "live-flag", id: "vitals-flag-consciousness", "data-testid": "vitals-flag-consciousness" });
  const consciousness = field(
    select([["", "Not assessed"], ...(Object.entries(CONSCIOUSNESS_LABEL) as [string, string][])], dv.consciousness ?? ""),
    { id: "vitals-consciousness", name: "consciousness", label: "ACVPU", class: "vital" },
  );
  consciousness.wrap.insertBefore(consciousnessFlag, consciousness.error);
  const notes = field(h("textarea", { rows: 1, maxlength: 2000 }), { id: "vitals-notes", name: "notes", label: "Notes", class: "vital span-all" });
  notes.control.value = dv.notes ?? "";

  // Tab order = order measured.
  const ordered: Field[] = [
    nf("systolic_mmhg").f,
    nf("diastolic_mmhg").f,
    nf("heart_rate_bpm").f,
    nf("respiratory_rate_bpm").f,
    nf("spo2_pct").f,
    onOxygen,
    nf("temperature_c").f,
    consciousness,
    nf("weight_kg").f,
    nf("height_cm").f,
    nf("pain_score").f,
    notes,
  ];
  const reason = field(textInput({ maxlength: RULES.correction_reason_max, placeholder: "e.g. typing slip: SpO2 was 97" }), {
    id: "vitals-amend-reason",
    name: "reason",
    label: "Reason for the amendment",
  });
  reason.control.value = dv.reason ?? "";
  reason.wrap.hidden = !amendId;
  const allFields: Field[] = [measuredAt, ...ordered, ...(amendId ? [reason] : [])];

  const bmiOut = h("div", { class: "summary-value", id: "vitals-bmi", "data-testid": "vitals-bmi" });
  const news2Out = h("div", { class: "summary-value", id: "vitals-news2", "data-testid": "vitals-news2" });
  const flagsOut = h("ul", { class: "flag-list", id: "vitals-flags", "data-testid": "vitals-flags" });
  const summary = h(
    "aside",
    { class: "vitals-summary panel", "aria-label": "Live summary", "aria-live": "polite" },
    h("h2", null, "NEWS2"),
    news2Out,
    h("h2", null, "BMI"),
    bmiOut,
    h("h2", null, "Abnormal values"),
    flagsOut,
  );

  const err = banner("vitals-error");
  const restored = h(
    "div",
    { class: "banner banner-info", "data-testid": "vitals-restored" },
    "Your unsaved entry for this patient was kept. ",
    h("button", { type: "button", class: "link-btn", "data-testid": "vitals-discard", onclick: () => { ctx.drafts.delete(draftKey); ctx.replace({ name: "vitals", patientId, amendId }); } }, "Discard it and start again"),
  );
  restored.hidden = !draft;
  const save = h("button", { type: "submit", class: "btn btn-primary", id: "vitals-save", "data-testid": "vitals-save" }, "Save vitals", h("kbd", { "aria-hidden": "true" }, "Ctrl+Enter"));
  const cancel = h("button", { type: "button", class: "btn", id: "vitals-cancel", "data-testid": "vitals-cancel", onclick: () => ctx.back() }, "Close", h("kbd", { "aria-hidden": "true" }, "Esc"));
  const form = h(
    "form",
    { id: "vitals-form", "data-testid": "vitals-form", class: "vitals-form", novalidate: true, "aria-labelledby": "vitals-title" },
    h("div", { class: "vitals-top" }, measuredAt.wrap, reason.wrap, h("fieldset", { class: "units" }, h("legend", null, "Units (remembered)"), tempUnit.wrap, weightUnit.wrap, heightUnit.wrap)),
    h("div", { class: "vitals-main" }, h("div", { class: "vitals-grid" }, ...ordered.map((f) => f.wrap)), summary),
    h("div", { class: "form-actions" }, save, cancel),
  );
  const el = h(
    "section",
    { class: "screen form-screen vitals-screen", "aria-labelledby": "vitals-title", "data-patient-id": patientId },
    h("div", { class: "screen-head vitals-head" }, h("h1", { id: "vitals-title" }, amendId ? "Amend vitals" : "Record vitals"), head),
    restored,
    err,
    form,
  );

  /** The set being amended, once the chart answered (null otherwise). */
  let amending: VitalSigns | null = null;
  /** Fills the form with the set to amend (unless a draft of this amendment was kept), fixes its time. */
  const startAmending = (found: Local<VitalSigns> | null) => {
    if (!found || isWithdrawn(found.record)) {
      setBanner(err, found ? "This set was marked entered in error: it cannot be amended. Record a new set instead." : "This set is not in the patient's record on this workstation.");
      save.disabled = true;
      return;
    }
    const v = found.record;
    amending = v;
    const w = utcToZoned(v.measured_at, ctx.tz);
    measuredAt.control.value = `${showDate(w.date)} ${showTime(w.time)}`;
    measuredAt.control.readOnly = true;
    measuredAt.control.title = "";
    measuredAt.wrap.append(
      h("div", { class: "field-hint", "data-testid": "vitals-amend-time-note" }, "Not amended: if the time is wrong, mark the set entered in error and record it again."),
    );
    if (!draft) {
      for (const [n, { spec, f }] of numeric) {
        const value = v[n];
        if (value === undefined || value === null) continue;
        const u = spec.unit();
        f.control.value = u ? formatInUnit(value, u as TemperatureUnit | WeightUnit | HeightUnit) : String(value);
      }
      onOxygen.control.checked = v.on_oxygen === true;
      consciousness.control.value = v.consciousness ?? "";
    }
    renderLive();
  };
  notes.wrap.hidden = Boolean(amendId);
  save.firstChild!.textContent = amendId ? "Save amendment" : "Save vitals";

  const unitOf = (n: NumericField): FieldUnit => nf(n).spec.unit();
  const check = (n: NumericField, final: boolean) => checkField(n, nf(n).f.control.value, unitOf(n), final);

  /**
   * The patient's age at the measured-at date, as the server computes it for the saved record
   * (null until the patient is loaded, or when unknown: adult rules). While the date is being
   * edited, the date part typed so far or else now.
   */
  const currentAge = (): AgeAt | null => {
    const dob = patient?.record.date_of_birth;
    if (!dob) return null;
    const text = measuredAt.control.value;
    const at = parseMeasuredAt(text, ctx.tz, Number.POSITIVE_INFINITY);
    if (at.ok) return ageAtMeasurement(dob, at.instant, ctx.tz);
    // the date typed so far (the time may still be unfinished), else now
    const typedDate = isoDateOf(text.trim().split(/\s+|T/)[0] ?? "");
    // Noon on the typed date in the clinic's zone, so the zoned date is the typed one.
    const instant = typedDate ? zonedToUtc(typedDate, "12:00", ctx.tz) : new Date(nowMs()).toISOString();
    return ageAtMeasurement(dob, instant, ctx.tz);
  };

  /** The set as it would be sent, from values that pass the field checks. */
  const currentSet = (): Measurements => {
    const values: Partial<Record<NumericField, number>> = {};
    for (const n of numeric.keys()) {
      const c = check(n, false);
      if (c.value !== undefined) values[n] = c.value;
    }
    const c = consciousness.control.value as Consciousness | "";
    const o2 = onOxygen.control.checked ? true : values.spo2_pct !== undefined ? false : undefined;
    return measurementsFrom(values, c === "" ? undefined : c, o2);
  };

  const renderUnits = () => {
    for (const { spec, unitEl } of numeric.values()) {
      const u = spec.unit();
      unitEl.textContent = u ? unitLabel(u) : (spec.fixedUnit ?? "");
    }
  };

  const flagBadge = (el: HTMLElement, dir: "low" | "high" | null) => {
    el.textContent = dir === "high" ? "▲ High" : dir === "low" ? "▼ Low" : "";
    el.dataset.flag = dir ?? "";
    el.className = `live-flag ${dir ? `flag flag-${dir}` : ""}`;
  };

  const renderLive = () => {
    const m = currentSet();
    const age = currentAge();
    const adult = adultThresholdsApply(age);
    const fl = flagsForAge(m, age, patient?.record.sex ?? "unknown");
    news2Out.dataset.ageGroup = adult ? "adult" : "child";
    for (const [n, x] of numeric) flagBadge(x.flagEl, flagOf(fl, n));
    flagBadge(consciousnessFlag, flagOf(fl, "consciousness"));
    const b = bmiOf(m);
    if (b === null) {
      bmiOut.textContent = "Enter weight and height";
      bmiOut.className = "summary-value muted";
      bmiOut.dataset.value = "";
    } else {
      const dir = flagOf(fl, "bmi");
      if (adult)
        replace(bmiOut, h("strong", null, b.toFixed(1)), ` kg/m² · ${bmiCategory(b)}`, dir ? h("span", { class: `flag flag-${dir}` }, dir === "high" ? " ▲" : " ▼") : null);
      // WHO adult categories do not fit children: the number only, never flagged.
      else replace(bmiOut, h("strong", null, b.toFixed(1)), " kg/m²", h("div", { class: "small muted" }, `Adult BMI bands are not used under ${RULES.adult_from_age}`));
      bmiOut.className = "summary-value";
      bmiOut.dataset.value = b.toFixed(1);
    }
    const n2 = news2Summary(m, age);
    if (!adult) {
      replace(
        news2Out,
        h("span", { class: "muted", "data-testid": "vitals-news2-child" }, `NEWS2 is not used under ${RULES.adult_from_age} (RCP 2017); flags use children's ranges for ${childAgeWords(age)}`),
      );
      news2Out.className = "summary-value";
      news2Out.dataset.total = "";
      news2Out.dataset.risk = "";
    } else if (!n2) {
      const missing = news2Missing(m);
      replace(news2Out, h("span", { class: "muted" }, `Needs ${missing.join(", ")}`));
      news2Out.className = "summary-value";
      news2Out.dataset.total = "";
      news2Out.dataset.risk = "";
    } else {
      const t = news2RiskText(n2.risk);
      const escalation = news2Escalation(n2.risk);
      const e = escalation ? escalationText(escalation) : null;
      replace(
        news2Out,
        h("span", { class: `news2 news2-${n2.risk} news2-big` }, h("strong", { "data-testid": "vitals-news2-total" }, String(n2.total)), ` ${t.label}`),
        h("div", { class: "small" }, t.response),
        e
          ? h(
              "div",
              // inside the summary's polite live region: said once as it changes, not shouted at each key
              { class: `escalation escalation-${escalation}`, "data-testid": "vitals-escalation", "data-escalation": escalation },
              h("strong", { title: e.source }, e.title),
              h("div", { class: "small", title: e.source }, e.action),
              h("div", { class: "small" }, "After saving, acknowledge it on the chart: it is recorded in the audit log."),
            )
          : null,
      );
      news2Out.className = "summary-value";
      news2Out.dataset.total = String(n2.total);
      news2Out.dataset.risk = n2.risk;
    }
    replace(
      flagsOut,
      fl.length === 0
        ? h("li", { class: "muted" }, "None")
        : fl.map((f) => {
            const [name, dir] = f.split(":");
            return h("li", { class: `flag flag-${dir}`, "data-flag": f }, `${dir === "high" ? "▲" : "▼"} ${FIELD_LABEL[name ?? ""] ?? name} ${dir}`);
          }),
    );
  };

  const storeDraft = () => {
    const values: Record<string, string> = {};
    for (const f of allFields) values[f.name] = f.control instanceof HTMLInputElement && f.control.type === "checkbox" ? String(f.control.checked) : f.control.value;
    const typed = ordered.some((f) => (f.control instanceof HTMLInputElement && f.control.type === "checkbox" ? f.control.checked : f.control.value.trim() !== ""));
    if (typed) ctx.drafts.set(draftKey, { id, units: { ...units }, values } satisfies Draft);
    else ctx.drafts.delete(draftKey);
  };

  // While typing: refuse what cannot become valid, flag the rest.
  for (const [n, { f }] of numeric) {
    f.control.addEventListener("input", () => {
      f.setError(check(n, false).error);
      renderLive();
      storeDraft();
    });
    f.control.addEventListener("blur", () => {
      const c = check(n, true);
      f.setError(c.error);
      if (n === "diastolic_mmhg" || n === "systolic_mmhg") crossCheckBp(false);
    });
  }
  const crossCheckBp = (final: boolean) => {
    const s = check("systolic_mmhg", true);
    const d = check("diastolic_mmhg", true);
    const dia = nf("diastolic_mmhg").f;
    if (s.error || d.error) return;
    if (s.value !== undefined && d.value !== undefined && d.value >= s.value) dia.setError("must be below systolic");
    else if (final && s.value !== undefined && d.value === undefined) dia.setError("is required with systolic");
    else if (final && s.value === undefined && d.value !== undefined) nf("systolic_mmhg").f.setError("is required with diastolic");
  };
  for (const f of [onOxygen, consciousness, notes, measuredAt, reason]) {
    f.control.addEventListener("input", () => {
      if (f !== notes) f.setError(null);
      renderLive();
      storeDraft();
    });
    f.control.addEventListener("change", () => {
      renderLive();
      storeDraft();
    });
  }
  measuredAt.control.addEventListener("blur", () => {
    const r = parseMeasuredAt(measuredAt.control.value, ctx.tz, nowMs());
    measuredAt.setError(r.ok ? null : r.error);
  });

  // Switching a unit converts what is already typed, and is remembered on this workstation.
  const onUnit = (kind: keyof UnitPrefs, n: NumericField, sel: HTMLSelectElement) => {
    sel.addEventListener("change", () => {
      const input = nf(n).f.control;
      const before = check(n, true);
      const typedDecimals = decimalsOf(input.value);
      (units as unknown as Record<string, string>)[kind] = sel.value;
      saveUnitPrefs(localStorage, units);
      if (before.value !== undefined) {
        const u = nf(n).spec.unit() as TemperatureUnit | WeightUnit | HeightUnit;
        input.value = formatInUnit(before.value, u, Math.max(1, typedDecimals));
      }
      renderUnits();
      nf(n).f.setError(check(n, input.value.trim() !== "").error);
      renderLive();
      storeDraft();
    });
  };
  onUnit("temperature", "temperature_c", tempUnit.control);
  onUnit("weight", "weight_kg", weightUnit.control);
  onUnit("height", "height_cm", heightUnit.control);

  renderUnits();
  renderLive();
  if (draft) for (const n of numeric.keys()) if (nf(n).f.control.value) nf(n).f.setError(check(n, true).error);

  let busy = false;
  const submit = async () => {
    if (busy) return;
    const errors: Record<string, string[]> = {};
    for (const n of numeric.keys()) {
      const c = check(n, true);
      if (c.error) errors[n] = [c.error];
    }
    const at = amending
      ? ({ ok: true, instant: amending.measured_at } as const)
      : parseMeasuredAt(measuredAt.control.value, ctx.tz, nowMs());
    if (!at.ok) errors.measured_at = [at.error];
    if (amendId && !reason.control.value.trim()) errors.reason = ["say why the values are amended"];
    const m = currentSet();
    for (const [k, v] of Object.entries(validateMeasurements(m))) if (!errors[k]) errors[k] = v;
    if ([...notes.control.value].length > 2000) errors.notes = ["must be at most 2000 characters"];
    if (Object.keys(errors).length > 0) {
      const first = showFieldErrors(allFields, errors, err);
      // says which field and why: at 720 px the field may be below the fold
      if (err.hidden) setBanner(err, `Please correct: ${summarizeFieldErrors(errors)}.`);
      (first?.control ?? nf("systolic_mmhg").f.control).focus();
      return;
    }
    showFieldErrors(allFields, {}, err);
    const body: NewVitalSigns = { id, measured_at: at.ok ? at.instant : "", ...m };
    const note = notes.control.value.trim();
    if (note) body.notes = note;
    busy = true;
    save.disabled = true;
    save.firstChild!.textContent = "Saving…";
    try {
      if (amendId) {
        const saved = await api.correctVitals(amendId, { patient_id: patientId, status: "amended", reason: reason.control.value.trim(), measurements: m });
        ctx.drafts.delete(draftKey);
        const n = saved.record.flags.length;
        ctx.toast(
          `Set amended${saved.pending && !ctx.online() ? " on this workstation; it will be sent when the server is reachable" : ""}.${n > 0 ? ` ${n} abnormal ${n === 1 ? "value" : "values"} flagged.` : ""}`,
          n > 0 ? "warn" : "success",
        );
        ctx.back();
        return;
      }
      const saved = await api.recordVitals(patientId, body);
      ctx.drafts.delete(draftKey);
      const n = saved.record.flags.length;
      const who = patient ? ` for ${patientName(patient.record)}` : "";
      ctx.toast(
        `Vitals saved${who}${saved.pending && !ctx.online() ? " on this workstation; they will be sent when the server is reachable" : ""}.${n > 0 ? ` ${n} abnormal ${n === 1 ? "value" : "values"} flagged.` : ""}`,
        // saved, but not "all good": flagged values are never announced in green
        n > 0 ? "warn" : "success",
      );
      ctx.back();
    } catch (raw) {
      const e = raw as CommandError;
      if (e.code === "validation" && e.fields) {
        const first = showFieldErrors(allFields, e.fields, err);
        if (err.hidden) setBanner(err, "The measurements were refused; see the fields marked below.");
        first?.control.focus();
      } else {
        setBanner(err, saveErrorText(e, "record vital signs"));
      }
    } finally {
      busy = false;
      save.disabled = false;
      save.firstChild!.textContent = amendId ? "Save amendment" : "Save vitals";
    }
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void submit();
  });
  // Enter in a measurement moves on (like Tab) rather than saving half a set; Ctrl+Enter saves.
  form.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.ctrlKey && !e.metaKey && e.target instanceof HTMLInputElement && e.target.type === "text") {
      e.preventDefault();
      const i = ordered.findIndex((f) => f.control === e.target);
      const next = ordered[i + 1];
      if (i >= 0 && next) next.control.focus();
    }
  });

  const screen: Screen = {
    el,
    title: amendId ? "Amend vitals" : "Record vitals",
    focus: () => nf("systolic_mmhg").f.control.focus(),
    form: { save: () => void submit(), close: () => ctx.back() },
  };
  return screen;
}

// Bits several screens show: sync badges, flagged values, the patient banner.

import type { Local } from "../bindings/Local";
import type { Patient } from "../bindings/Patient";
import { RULES } from "../bindings/rules";
import type { VitalSigns } from "../bindings/VitalSigns";
import { h } from "../dom";
import { formatAge, howLongAgo } from "../lib/dates";
import { CONSCIOUSNESS_LABEL, SEX_LABEL, patientName } from "../lib/format";
import { utcToZoned } from "../lib/tz";
import { formatDateTime, showDate } from "../lib/locale";
import { formatInUnit, unitLabel, type UnitPrefs } from "../lib/units";
import type { EscalationAck } from "../bindings/EscalationAck";
import { ageAtMeasurement, escalationText, isWithdrawn, flagOf, news2Escalation, news2HasRedScore, news2Missing, news2Risk, news2RiskText } from "../lib/vitals";
import { languageName } from "../lib/languages";

/** "not yet synced" / "rejected" / "held" markers of a local record. */
export function syncBadges(l: Local<unknown>): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (l.pending)
    out.push(
      h("span", { class: "badge badge-pending", "data-testid": "pending-badge", title: "Saved on this workstation; will be sent when the server is reachable." }, "not yet synced"),
    );
  if (l.rejected)
    out.push(
      h("span", { class: "badge badge-rejected", "data-testid": "rejected-badge", title: l.rejected }, `rejected: ${l.rejected}`),
    );
  if (l.held)
    out.push(h("span", { class: "badge badge-held", "data-testid": "held-badge", title: l.held }, `held: ${l.held}`));
  return out;
}

/**
 * The allergy banner: red with the allergies when there are some, calm "No known allergies" when
 * someone asked and there are none, amber "Allergies not recorded" when nobody has said.
 */
export function allergyBanner(p: Patient, onEditDetails?: () => void): HTMLElement {
  if (p.allergies.length > 0) {
    return h(
      "div",
      { class: "allergy-banner has-allergies", id: "allergies", "data-testid": "allergies", "data-state": "present" },
      h("span", { class: "allergy-icon", "aria-hidden": "true" }, "⚠"),
      h("strong", null, "Allergies: "),
      h(
        "span",
        { class: "allergy-list" },
        ...p.allergies.map((a, i) => [i > 0 ? ", " : "", h("span", { class: "allergy", "data-testid": "allergy" }, a)]).flat(),
      ),
    );
  }
  if (p.no_known_allergies) {
    return h("div", { class: "allergy-banner no-allergies", id: "allergies", "data-testid": "allergies", "data-state": "none" }, "No known allergies");
  }
  // nobody has said: not the same as none, and a clinician must not read it as none
  return h(
    "div",
    { class: "allergy-banner allergies-unknown", id: "allergies", "data-testid": "allergies", "data-state": "unknown" },
    h("strong", null, "Allergies not recorded"),
    " · ask the patient, then record their allergies or tick \"No known allergies\" in ",
    // a link where the chart offers the form; elsewhere (the vitals form) where to find it
    onEditDetails
      ? h("button", { type: "button", class: "link-btn", "data-testid": "allergies-edit", onclick: onEditDetails }, "Edit details")
      : "the patient's details (Edit details on the chart)",
  );
}

/** One line naming a patient for a form header: name, MRN, sex, age, DOB. */
export function patientLine(p: Local<Patient>, today: string): HTMLElement {
  const r = p.record;
  return h(
    "div",
    { class: "patient-line", "data-testid": "patient-line" },
    h("strong", null, patientName(r)),
    h("span", { class: "mono" }, `MRN ${r.mrn}`),
    h("span", null, SEX_LABEL[r.sex]),
    h("span", null, `${formatAge(r.date_of_birth, today)} · DOB ${showDate(r.date_of_birth)}`),
    ...syncBadges(p),
  );
}

/** A value cell, marked when the record's flags say it is abnormal. */
export function flaggedCell(text: string, flag: "low" | "high" | null, field: string): HTMLElement {
  if (!flag) return h("span", { class: "val" }, text);
  return h(
    "span",
    {
      class: `val flag flag-${flag}`,
      "data-testid": "flag",
      "data-flag": `${field}:${flag}`,
      title: flag === "high" ? "Above the normal range" : "Below the normal range",
    },
    h("span", { "aria-hidden": "true", class: "flag-arrow" }, flag === "high" ? "▲" : "▼"),
    text,
    h("span", { class: "sr-only" }, flag === "high" ? " (high)" : " (low)"),
  );
}

/**
 * NEWS2 badge: the record's own total (never recomputed) and its risk band; "—" when the record
 * has none (a parameter missing, or a patient under 16).
 */
export function news2Badge(v: Pick<VitalSigns, "news2"> & Parameters<typeof news2HasRedScore>[0]): HTMLElement {
  if (v.news2 === null || v.news2 === undefined)
    return h("span", { class: "muted", title: `No NEWS2: it needs all seven parameters and is not used under ${RULES.adult_from_age}` }, "—");
  const risk = news2Risk(v.news2, news2HasRedScore(v));
  const t = news2RiskText(risk);
  return h(
    "span",
    { class: `news2 news2-${risk}`, "data-testid": "news2", "data-risk": risk, title: `NEWS2 ${v.news2}: ${t.label} risk (${t.response})` },
    `${v.news2} ${t.short}`,
  );
}

/**
 * The latest recorded set of `vitals` (by measurement time, then the later recorded of two
 * taken at one time; none: null); a set entered in error is not one.
 */
export function latestVitals(vitals: Local<VitalSigns>[]): VitalSigns | null {
  let latest: VitalSigns | null = null;
  const later = (a: VitalSigns, b: VitalSigns) =>
    Date.parse(a.measured_at) - Date.parse(b.measured_at) || Date.parse(a.created_at) - Date.parse(b.created_at);
  for (const l of vitals) if (!isWithdrawn(l.record) && (!latest || later(l.record, latest) > 0)) latest = l.record;
  return latest;
}

/** Why a set of an adult has no NEWS2: "not scored", never "no NEWS2", which can read as a score
 * of 0 beside a flagged value; then the parameters not recorded, or (all recorded, the set
 * flagged before a date of birth was corrected) that this set was not scored. */
function noNews2Text(missing: string[]): string {
  return missing.length > 0 ? `NEWS2 not scored: ${missing.join(", ")} not recorded` : "NEWS2 not scored for this set";
}

/**
 * The latest vital signs in one line for the patient banner: each value measured, marked as the
 * record's own `flags` say (never recomputed), and its NEWS2, or why there is none: under
 * `RULES.adult_from_age` NEWS2 is not used (RCP 2017: "not for use in children"); otherwise the
 * parameters not measured, named.
 */
export function latestVitalsLine(v: VitalSigns | null, dateOfBirth: string, tz: string, units: UnitPrefs, today: string): HTMLElement {
  if (!v) return h("div", { class: "banner-vitals muted", "data-testid": "banner-vitals" }, "No vital signs recorded yet");
  const f = (field: string) => flagOf(v.flags, field);
  const item = (label: string, text: string, field: string) =>
    h("span", { class: "bv-item" }, h("span", { class: "bv-label" }, label), " ", flaggedCell(text, f(field), field));
  const parts: HTMLElement[] = [];
  if (v.systolic_mmhg != null && v.diastolic_mmhg != null) {
    const flag = f("systolic_mmhg") ?? f("diastolic_mmhg");
    parts.push(h("span", { class: "bv-item" }, h("span", { class: "bv-label" }, "BP"), " ", flaggedCell(`${v.systolic_mmhg}/${v.diastolic_mmhg}`, flag, flag === f("systolic_mmhg") ? "systolic_mmhg" : "diastolic_mmhg"), h("span", { class: "bv-unit" }, " mmHg")));
  }
  if (v.heart_rate_bpm != null) parts.push(item("HR", String(v.heart_rate_bpm), "heart_rate_bpm"));
  if (v.respiratory_rate_bpm != null) parts.push(item("RR", String(v.respiratory_rate_bpm), "respiratory_rate_bpm"));
  if (v.spo2_pct != null) parts.push(item("SpO2", `${v.spo2_pct}%`, "spo2_pct"));
  if (v.temperature_c != null) parts.push(item("Temp", `${formatInUnit(v.temperature_c, units.temperature)} ${unitLabel(units.temperature)}`, "temperature_c"));
  if (v.consciousness) parts.push(item("ACVPU", CONSCIOUSNESS_LABEL[v.consciousness] ?? "", "consciousness"));
  if (v.pain_score != null) parts.push(item("Pain", `${v.pain_score}/10`, "pain_score"));
  const age = ageAtMeasurement(dateOfBirth, v.measured_at, tz);
  const news2 =
    v.news2 !== null && v.news2 !== undefined
      ? h("span", { class: "bv-item" }, h("span", { class: "bv-label" }, "NEWS2"), " ", news2Badge(v))
      : age !== null && age.years < RULES.adult_from_age
        ? h("span", { class: "bv-item muted", "data-testid": "banner-news2-none" }, `NEWS2 is not used under ${RULES.adult_from_age} (RCP 2017); flags use children's ranges`)
        : h("span", { class: "bv-item news2-unscored", "data-testid": "banner-news2-none" }, noNews2Text(news2Missing(v)));
  const ago = howLongAgo(utcToZoned(v.measured_at, tz).date, today);
  return h(
    "div",
    { class: "banner-vitals", "data-testid": "banner-vitals" },
    // an old reading says how old, so it is never taken for today's
    h("span", { class: "bv-when", "data-testid": "banner-vitals-when" }, `Latest ${formatDateTime(v.measured_at, tz)}`, ago ? h("strong", { class: "bv-ago" }, ` · ${ago}`) : null),
    ...parts,
    news2,
  );
}

/** How the banner offers and shows the acknowledgement of the latest set's escalation. */
export interface EscalationOptions {
  /** Acknowledgements this workstation knows of. */
  acks: EscalationAck[];
  /** A staff member's name. */
  staffName(id: string): string;
  /** Acknowledges the escalation of set `vitalSignsId`; null when this person may not (no vitals role). */
  onAcknowledge: ((vitalSignsId: string) => void) | null;
}

/**
 * The escalation the latest set's NEWS2 calls for (RCP 2017 chart 4), with who acknowledged it
 * and when, or a button to acknowledge it; null when it calls for none.
 */
export function escalationBlock(v: VitalSigns | null, tz: string, o: EscalationOptions): HTMLElement | null {
  if (!v || v.news2 === null || v.news2 === undefined) return null;
  const escalation = news2Escalation(news2Risk(v.news2, news2HasRedScore(v)));
  if (!escalation) return null;
  const t = escalationText(escalation);
  const acks = o.acks.filter((a) => a.vital_signs_id === v.id);
  const said = acks.map((a) => `${o.staffName(a.user_id)} at ${formatDateTime(a.at, tz)}`).join("; ");
  return h(
    "div",
    // a region, not an alert: the chart redraws whenever the cache changes, and an alert would be
    // announced again each time
    { class: `escalation escalation-${escalation}`, role: "region", "aria-label": "NEWS2 escalation", "data-testid": "banner-escalation", "data-escalation": escalation, "data-acknowledged": acks.length > 0 ? "true" : "false" },
    h("strong", { title: t.source }, `NEWS2 ${v.news2}: ${t.title}`),
    // once acknowledged, one line: the banner stays short above what scrolls
    acks.length > 0 ? null : h("span", { class: "small", title: t.source }, t.action),
    acks.length > 0
      ? h("span", { class: "small escalation-ack", "data-testid": "escalation-acknowledged", tabindex: -1 }, `Acknowledged by ${said}`)
      : o.onAcknowledge
        ? h("button", { type: "button", class: "btn btn-small", "data-testid": "btn-acknowledge-escalation", onclick: () => o.onAcknowledge?.(v.id) }, "Acknowledge: medical team informed")
        : h("span", { class: "small" }, "Not yet acknowledged"),
  );
}

/**
 * The patient banner (issue 16), kept on screen while the chart or the vitals form scrolls:
 * who this is (name as `heading`, MRN, sex, age, date of birth), their allergies, and their
 * latest vital signs with flags and NEWS2 where it applies. Short, so the screen keeps room
 * for what scrolls beneath it: a screen's actions go below it, not in it.
 */
export function patientBanner(o: {
  patient: Local<Patient>;
  heading: HTMLElement;
  today: string;
  vitals: Local<VitalSigns>[] | null;
  tz: string;
  units: UnitPrefs;
  /** The latest set's escalation and its acknowledgement (the chart; the form shows it as typed). */
  escalation?: EscalationOptions;
  /** Opens the patient's details form; absent where the screen does not offer it (the vitals
   * form) or the person may not edit the patient. */
  onEditDetails?: () => void;
}): HTMLElement {
  const p = o.patient.record;
  const latest = o.vitals ? latestVitals(o.vitals) : null;
  return h(
    "div",
    { class: "patient-banner", "data-testid": "patient-banner" },
    h(
      "header",
      { class: "chart-header" },
      h(
        "div",
        { class: "chart-id" },
        o.heading,
        h(
          "div",
          { class: "chart-facts" },
          h("span", { class: "mono", "data-testid": "chart-mrn" }, `MRN ${p.mrn}`),
          h("span", { "data-testid": "chart-sex" }, SEX_LABEL[p.sex]),
          h("span", { "data-testid": "chart-age" }, formatAge(p.date_of_birth, o.today)),
          h("span", { "data-testid": "chart-dob" }, `DOB ${showDate(p.date_of_birth)}`),
          // said where every clinician looks first: a consultation needs one booked
          p.interpreter_required
            ? h("span", { class: "badge badge-warn", "data-testid": "chart-interpreter" }, `Interpreter: ${p.preferred_language ? languageName(p.preferred_language) : "language not recorded"}`)
            : null,
          ...syncBadges(o.patient),
        ),
      ),
    ),
    allergyBanner(p, o.onEditDetails),
    o.vitals ? latestVitalsLine(latest, p.date_of_birth, o.tz, o.units, o.today) : null,
    o.escalation ? escalationBlock(latest, o.tz, o.escalation) : null,
  );
}

// Bits several screens show: sync badges, patient banners.

import type { Local } from "../bindings/Local";
import type { Patient } from "../bindings/Patient";
import { h } from "../dom";
import { formatAge } from "../lib/dates";
import { SEX_LABEL, patientName } from "../lib/format";

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

/** The allergy banner: red when there are allergies, calm "No known allergies" otherwise. */
export function allergyBanner(p: Patient): HTMLElement {
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
  return h("div", { class: "allergy-banner no-allergies", id: "allergies", "data-testid": "allergies", "data-state": "none" }, "No known allergies");
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
    h("span", null, `${formatAge(r.date_of_birth, today)} · DOB ${r.date_of_birth}`),
    ...syncBadges(p),
  );
}

// Merging two records of one person (issue 16), opened from Review's possible duplicates: the
// two side by side, which one stays, each differing value chosen, what moves, then the merge
// (queued like any write; the server moves every set and booking and keeps the other record
// as a tombstone that opens the one kept). Rules in lib/mergePatients.ts.

import { api } from "../api";
import type { CommandError } from "../bindings/CommandError";
import type { PatientChart } from "../bindings/PatientChart";
import { h, replace } from "../dom";
import { identifierText, KIN_LABEL, patientName, SEX_LABEL } from "../lib/format";
import { clashingSets, defaultKeep, mergeFields, mergeRows, mergedAllergies, mergedIdentifiers, type MergeField, type Side } from "../lib/mergePatients";
import { formatDateTime, showDate } from "../lib/locale";
import type { Ctx, Screen } from "../ui/context";
import { banner, saveErrorText, setBanner } from "../ui/forms";
import { languageName } from "../lib/languages";

/** A compared value as people read it (the rows hold wire values as text). */
function shownValue(field: MergeField, v: string): string {
  switch (field) {
    case "sex":
      return (SEX_LABEL as Record<string, string>)[v] ?? v;
    case "date_of_birth":
    case "first_seen_at":
      return showDate(v);
    case "interpreter_required":
      return v === "true" ? "Yes" : "No";
    case "next_of_kin_relationship":
      return (KIN_LABEL as Record<string, string>)[v] ?? v;
    case "preferred_language":
      return languageName(v);
    default:
      return v;
  }
}

export function mergeScreen(ctx: Ctx, aId: string, bId: string): Screen {
  const body = h("div", { "aria-busy": "true" }, h("p", { class: "muted" }, "Loading both records…"));
  const err = banner("merge-error");
  const el = h(
    "section",
    { class: "screen form-screen merge-screen", "data-testid": "merge", "aria-labelledby": "merge-title" },
    h("div", { class: "screen-head" }, h("h1", { id: "merge-title", tabindex: -1 }, "Merge duplicate records")),
    h("p", { class: "muted form-intro" }, "Choose the record that stays and, where the two differ, each value it keeps. Every vital-sign set and appointment of the other record moves to it; the other record stays as a pointer to it, for the audit log and old links."),
    err,
    body,
  );
  let busy = false;

  const render = (ca: PatientChart, cb: PatientChart) => {
    const a = ca.patient.record;
    const b = cb.patient.record;
    let keep: Side = defaultKeep(a, b);
    const chosen: Partial<Record<MergeField, Side>> = {};
    const table = h("table", { class: "data-table merge-table", "data-testid": "merge-table" });
    const clashes = clashingSets(
      ca.vitals.map((v) => v.record),
      cb.vitals.map((v) => v.record),
    );
    const who = (side: Side) => (side === "a" ? a : b);
    const counts = (c: PatientChart) => `${c.vitals.length} vital-sign ${c.vitals.length === 1 ? "set" : "sets"}, ${c.appointments.length} ${c.appointments.length === 1 ? "appointment" : "appointments"}`;
    const radio = (name: string, side: Side, checked: boolean, onchange: () => void, label: string) =>
      h(
        "label",
        { class: "merge-choice" },
        h("input", { type: "radio", name, value: side, checked, "data-testid": `${name}-${side}`, onchange }),
        " ",
        label,
      );
    const summary = h("p", { class: "merge-summary", "data-testid": "merge-summary", "aria-live": "polite" });
    const save = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "merge-save" }, "Merge");
    // a merge is asked twice: it cannot be undone from a workstation
    let confirming = false;
    const confirmNote = h("div", { class: "banner banner-warn", role: "alert", "data-testid": "merge-confirm" });
    confirmNote.hidden = true;
    const draw = () => {
      const rows = mergeRows(a, b, keep);
      for (const r of rows) if (!(r.field in chosen)) chosen[r.field] = r.chosen;
      const kept = who(keep);
      const other = who(keep === "a" ? "b" : "a");
      const allergies = mergedAllergies(kept, other);
      replace(
        table,
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th", { scope: "col" }, ""),
            ...(["a", "b"] as Side[]).map((s) =>
              h(
                "th",
                { scope: "col" },
                radio("merge-keep", s, keep === s, () => {
                  keep = s;
                  for (const k of Object.keys(chosen)) delete chosen[k as MergeField];
                  draw();
                }, `Keep MRN ${who(s).mrn}`),
                h("div", { class: "small muted" }, counts(s === "a" ? ca : cb)),
              ),
            ),
          ),
        ),
        h(
          "tbody",
          null,
          ...rows.map((r) =>
            h(
              "tr",
              { "data-field": r.field, class: r.differs ? "merge-differs" : "" },
              h("th", { scope: "row" }, r.label),
              ...(["a", "b"] as Side[]).map((s) => {
                const v = s === "a" ? r.a : r.b;
                const shown = v === null ? null : shownValue(r.field, v);
                return h(
                  "td",
                  null,
                  r.differs
                    ? radio(`merge-${r.field}`, s, chosen[r.field] === s, () => {
                        chosen[r.field] = s;
                        draw();
                      }, shown ?? "—")
                    : h("span", { class: v ? "" : "muted" }, shown ?? "—"),
                );
              }),
            ),
          ),
          h(
            "tr",
            { "data-field": "allergies", class: "merge-allergy-row" },
            h("th", { scope: "row" }, "Allergies"),
            ...(["a", "b"] as Side[]).map((s) => {
              const list = who(s).allergies;
              return h("td", { class: list.length ? "allergy-text" : "muted" }, list.length ? list.join(", ") : who(s).no_known_allergies ? "No known allergies" : "Not recorded");
            }),
          ),
          h(
            "tr",
            { "data-field": "identifiers" },
            h("th", { scope: "row" }, "Identifiers"),
            ...(["a", "b"] as Side[]).map((s) => {
              const list = who(s).identifiers;
              return h("td", { class: list.length ? "pre-line" : "muted" }, list.length ? list.map(identifierText).join("\n") : "None recorded");
            }),
          ),
        ),
      );
      replace(
        summary,
        `MRN ${kept.mrn} (${patientName(kept)}) stays; MRN ${other.mrn}'s ${counts(keep === "a" ? cb : ca)} move to it. `,
        h("strong", { "data-testid": "merge-allergies" }, allergies.length ? `Allergies kept: ${allergies.join(", ")} (every allergy of both records).` : "Neither record has an allergy recorded."),
        mergedIdentifiers(kept, other).length > 0 ? ` Every identifier of both records is kept too (${mergedIdentifiers(kept, other).length}).` : null,
      );
      confirming = false;
      confirmNote.hidden = true;
      save.disabled = false;
      save.textContent = `Merge MRN ${other.mrn} into MRN ${kept.mrn}…`;
    };
    draw();
    const form = h(
      "form",
      {
        novalidate: true,
        onsubmit: async (e: Event) => {
          e.preventDefault();
          if (busy) return;
          const kept = who(keep);
          const away = who(keep === "a" ? "b" : "a");
          if (!confirming) {
            confirming = true;
            const yes = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "merge-confirm-yes" }, "Yes, merge them");
            replace(
              confirmNote,
              h(
                "p",
                null,
                `${patientName(kept)}, born ${showDate(kept.date_of_birth)}: MRN ${away.mrn} into MRN ${kept.mrn}. This cannot be undone from a workstation. On every workstation MRN ${away.mrn}'s vital signs and appointments move to MRN ${kept.mrn}, and MRN ${away.mrn} no longer appears in searches (the audit log keeps both). Check they are the same person.`,
                clashes.length > 0
                  ? ` Then check the sets taken at the same time: ${clashes.map((c) => `${formatDateTime(c.measuredAt, ctx.tz)}, ${c.differences.join(", ")} (MRN ${a.mrn} / MRN ${b.mrn})`).join("; ")}.`
                  : "",
              ),
              yes,
            );
            confirmNote.hidden = false;
            save.disabled = true;
            // above the form's sticky save bar, where it is read before the second press
            confirmNote.scrollIntoView({ block: "center" });
            yes.focus();
            return;
          }
          busy = true;
          save.disabled = true;
          try {
            const survivor = await api.mergePatient(away.id, { into: kept.id, base_revision: kept.revision, fields: mergeFields(a, b, keep, chosen) });
            ctx.toast(
              `MRN ${away.mrn} merged into MRN ${kept.mrn}${survivor.pending && !ctx.online() ? " on this workstation; the records move when the server is reachable" : ""}.`,
              "success",
            );
            ctx.replace({ name: "chart", patientId: kept.id });
          } catch (raw) {
            setBanner(err, saveErrorText(raw as CommandError, "merge the records"));
            busy = false;
            save.disabled = false;
          }
        },
      },
      clashes.length > 0
        ? h(
            "div",
            { class: "banner banner-warn", role: "status", "data-testid": "merge-clashes" },
            h("strong", null, "Both records have a vital-sign set at the same time with different values. "),
            clashes.map((c) => `${formatDateTime(c.measuredAt, ctx.tz)}: ${c.differences.join(", ")} (MRN ${a.mrn} / MRN ${b.mrn}). `).join(""),
            "After the merge both sets are in one chart: check which one belongs to this person, and mark the other entered in error (Correct, on its row).",
          )
        : null,
      h("div", { class: "table-wrap" }, table),
      summary,
      confirmNote,
      h("div", { class: "form-actions" }, save, h("button", { type: "button", class: "btn", onclick: () => ctx.back() }, "Cancel", h("kbd", { "aria-hidden": "true" }, "Esc"))),
    );
    replace(body, form);
    body.removeAttribute("aria-busy");
  };

  Promise.all([api.patientChart(aId), api.patientChart(bId)])
    .then(([ca, cb]) => {
      if (ca.patient.record.id === cb.patient.record.id) {
        setBanner(err, "These two are already one record.");
        replace(body);
        return;
      }
      render(ca, cb);
    })
    .catch((raw) => setBanner(err, `Could not open both records: ${(raw as CommandError).message}`));

  return {
    el,
    title: "Merge duplicate records",
    focus: () => el.querySelector<HTMLElement>("#merge-title")?.focus(),
    form: { save: () => el.querySelector("form")?.requestSubmit(), close: () => ctx.back() },
  };
}

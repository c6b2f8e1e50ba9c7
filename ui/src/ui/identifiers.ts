// The identifiers of a patient besides the MRN, edited as rows (kind, issuer, number), with
// "Add identifier" and "Remove". The rows travel as JSON in a hidden input, so the form keeps
// them in its drafts like any other field and `buildIdentifiers` checks them.

import type { IdentifierKind } from "../bindings/IdentifierKind";
import { h, replace } from "../dom";
import { IDENTIFIER_KIND_LABEL } from "../lib/format";
import { IDENTIFIER_KINDS, identifierRows, type IdentifierRow } from "../lib/patientForm";
import type { Field } from "./forms";
import { select, textInput } from "./forms";

/** What the issuer field asks for, by kind. */
const ISSUER_HINT: Record<IdentifierKind, string> = {
  national_id: "Country, e.g. UK",
  social_security: "Country, e.g. United States",
  insurance_member: "Insurer (required)",
  passport: "Issuing country",
  drivers_license: "State or country",
};

/**
 * The editor as a form field named `identifiers` (`${prefix}-identifiers` is the hidden input
 * holding the rows; each row's controls are `${prefix}-identifier-kind`, `-system`, `-value`,
 * `-remove`). Focusing the field focuses the first row's number, or "Add identifier".
 */
export function identifierEditor(prefix: string, json: string): Field<HTMLInputElement> {
  const store = h("input", { type: "hidden", id: `${prefix}-identifiers`, name: "identifiers", "data-testid": `${prefix}-identifiers` });
  store.value = json;
  const list = h("div", { class: "identifier-rows" });
  const add = h("button", { type: "button", class: "btn btn-small", "data-testid": `${prefix}-identifier-add` }, "Add identifier");
  const errorId = `${prefix}-identifiers-error`;
  const error = h("div", { id: errorId, class: "field-error", "data-testid": errorId, "aria-live": "polite" });
  const legendId = `${prefix}-identifiers-legend`;
  const wrap = h(
    "div",
    { class: "field span-2", "data-field": "identifiers" },
    h(
      "fieldset",
      { class: "fieldset identifiers", "aria-describedby": errorId },
      h("legend", { id: legendId }, "Identifiers"),
      h("p", { class: "field-hint" }, "National ID, social security, insurance member, passport or licence numbers: the patient can be found by any of them."),
      h("div", { class: "identifier-head", "aria-hidden": "true" }, h("span", null, "Kind"), h("span", null, "Issued by"), h("span", null, "Number"), h("span")),
      list,
      h("div", null, add),
      store,
    ),
    error,
  );

  const sync = () => {
    const rows: IdentifierRow[] = [...list.querySelectorAll<HTMLElement>(".identifier-row")].map((r) => ({
      kind: (r.querySelector<HTMLSelectElement>("select")?.value ?? "national_id") as IdentifierKind,
      system: r.querySelector<HTMLInputElement>('input[data-part="system"]')?.value ?? "",
      value: r.querySelector<HTMLInputElement>('input[data-part="value"]')?.value ?? "",
    }));
    store.value = JSON.stringify(rows);
  };

  const row = (r: IdentifierRow, n: number): HTMLElement => {
    const label = (what: string) => `Identifier ${n}: ${what}`;
    const kind = select(
      IDENTIFIER_KINDS.map((k) => [k, IDENTIFIER_KIND_LABEL[k]] as [string, string]),
      r.kind,
    );
    kind.dataset.testid = `${prefix}-identifier-kind`;
    kind.setAttribute("aria-label", label("kind"));
    const system = textInput({ value: r.system, maxlength: 200, placeholder: ISSUER_HINT[r.kind], "data-part": "system", "data-testid": `${prefix}-identifier-system`, "aria-label": label("issued by") });
    const value = textInput({ value: r.value, maxlength: 64, placeholder: "Number", "data-part": "value", "data-testid": `${prefix}-identifier-value`, "aria-label": label("number") });
    kind.addEventListener("change", () => {
      system.placeholder = ISSUER_HINT[kind.value as IdentifierKind];
    });
    const remove = h("button", { type: "button", class: "btn btn-small", "data-testid": `${prefix}-identifier-remove`, "aria-label": label("remove") }, "Remove");
    remove.addEventListener("click", () => {
      const rows = identifierRows(store.value).filter((_, i) => i !== n - 1);
      store.value = JSON.stringify(rows);
      render();
      // a removal is a change of the form like typing: drafts and "unsaved" follow it
      store.dispatchEvent(new Event("input", { bubbles: true }));
      (list.querySelector<HTMLInputElement>('input[data-part="value"]') ?? add).focus();
    });
    const el = h("div", { class: "identifier-row", "data-testid": `${prefix}-identifier-row` }, kind, system, value, remove);
    // typed values reach the hidden input before the form's own listeners read it; what was
    // marked wrong in this row is unmarked as the person corrects it
    const corrected = () => {
      sync();
      el.classList.remove("invalid");
      el.querySelectorAll(".invalid-part").forEach((c) => {
        c.classList.remove("invalid-part");
        c.removeAttribute("aria-invalid");
      });
      if (!list.querySelector(".identifier-row.invalid")) error.textContent = "";
    };
    el.addEventListener("input", corrected);
    el.addEventListener("change", corrected);
    return el;
  };

  const render = () => {
    const rows = identifierRows(store.value);
    replace(list, ...rows.map((r, i) => row(r, i + 1)));
    list.hidden = rows.length === 0;
  };

  add.addEventListener("click", () => {
    const rows = identifierRows(store.value);
    rows.push({ kind: rows.length === 0 ? "national_id" : "insurance_member", system: "", value: "" });
    store.value = JSON.stringify(rows);
    render();
    const values = list.querySelectorAll<HTMLInputElement>('input[data-part="value"]');
    values[values.length - 1]?.focus();
  });
  render();

  const focusFirst = () => (list.querySelector<HTMLInputElement>('input[data-part="value"]') ?? add).focus();
  store.focus = focusFirst;
  const setError = (messages: string[] | string | null | undefined) => {
    const msgs = messages === null || messages === undefined ? [] : Array.isArray(messages) ? messages : [messages];
    // "number 2: …" reads "Row 2: …", as the rows stand on screen
    error.textContent = msgs.map((m) => m.replace(/^number (\d+)/, "Row $1")).join(". ");
    // the box named is marked (the issuer, the number), or the row for a repeat; a message
    // about the whole list marks none
    const rows = [...list.querySelectorAll<HTMLElement>(".identifier-row")];
    for (const r of rows) {
      r.classList.remove("invalid");
      r.querySelectorAll(".invalid-part").forEach((c) => {
        c.classList.remove("invalid-part");
        c.removeAttribute("aria-invalid");
      });
    }
    for (const m of msgs) {
      const n = Number(/^number (\d+)/.exec(m)?.[1] ?? 0);
      const r = rows[n - 1];
      if (!r) continue;
      r.classList.add("invalid");
      const part = /insurer|issuer/.test(m) ? "system" : /value/.test(m) ? "value" : null;
      const targets = part ? [...r.querySelectorAll<HTMLElement>(`[data-part="${part}"]`)] : [...r.querySelectorAll<HTMLElement>("input, select")];
      for (const c of targets) {
        c.classList.add("invalid-part");
        c.setAttribute("aria-invalid", "true");
        c.setAttribute("aria-describedby", errorId);
      }
    }
  };
  return { name: "identifiers", wrap, control: store, error, setError };
}

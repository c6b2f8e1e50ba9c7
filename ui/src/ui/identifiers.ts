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
    const remove = h("button", { type: "button", class: "btn btn-small btn-quiet-danger", "data-testid": `${prefix}-identifier-remove`, "aria-label": label("remove") }, "Remove");
    remove.addEventListener("click", () => {
      const rows = identifierRows(store.value).filter((_, i) => i !== n - 1);
      store.value = JSON.stringify(rows);
      render();
      // a removal is a change of the form like typing: drafts and "unsaved" follow it
      store.dispatchEvent(new Event("input", { bubbles: true }));
      (list.querySelector<HTMLInputElement>('input[data-part="value"]') ?? add).focus();
    });
    const el = h("div", { class: "identifier-row", "data-testid": `${prefix}-identifier-row` }, kind, system, value, remove);
    // typed values reach the hidden input before the form's own listeners read it
    el.addEventListener("input", sync);
    el.addEventListener("change", sync);
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
    error.textContent = msgs.map((m) => `Identifier ${m}`).join(". ");
    // the rows named ("number 2: …") are marked; a message about the whole list marks none
    const named = new Set(msgs.map((m) => /^number (\d+)/.exec(m)?.[1]).filter(Boolean).map(Number));
    list.querySelectorAll<HTMLElement>(".identifier-row").forEach((r, i) => {
      r.classList.toggle("invalid", named.has(i + 1));
      r.querySelectorAll("input, select").forEach((c) => (named.has(i + 1) ? c.setAttribute("aria-invalid", "true") : c.removeAttribute("aria-invalid")));
    });
  };
  return { name: "identifiers", wrap, control: store, error, setError };
}

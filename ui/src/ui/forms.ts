// Labelled inputs with their error line, and spreading field errors (client checks or a
// `CommandError.fields` from the core) over them. Values are never cleared on error.

import { datePattern, parseDate, parseTime, showDate, showTime, timePattern } from "../lib/locale";
import { h } from "../dom";
import { FIELD_LABEL } from "../lib/format";

export type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

export interface Field<C extends Control = Control> {
  /** Wire name (`systolic_mmhg`), the key of field errors. */
  name: string;
  wrap: HTMLDivElement;
  control: C;
  error: HTMLDivElement;
  setError(messages: string[] | string | null | undefined): void;
}

export interface FieldOptions {
  /** Element id; also the `data-testid`. The error line is `${id}-error`. */
  id: string;
  /** Wire name for field errors. */
  name: string;
  label: string;
  required?: boolean;
  /** Help text under the label (`${id}-hint`). */
  hint?: string;
  /** Extra content after the control (unit, flag). */
  after?: Node | Node[];
  class?: string;
}

/** Wraps a control with its `<label for>`, hint and error line. */
export function field<C extends Control>(control: C, o: FieldOptions): Field<C> {
  control.id = o.id;
  control.name = o.name;
  control.dataset.testid = o.id;
  const errorId = `${o.id}-error`;
  const hintId = `${o.id}-hint`;
  const error = h("div", { id: errorId, class: "field-error", "data-testid": errorId, "aria-live": "polite" });
  const describedBy = [o.hint ? hintId : null, errorId].filter(Boolean).join(" ");
  control.setAttribute("aria-describedby", describedBy);
  if (o.required) control.setAttribute("aria-required", "true");
  const label = h(
    "label",
    { for: o.id },
    o.label,
    o.required ? h("span", { class: "req", "aria-hidden": "true", title: "required" }, " *") : null,
  );
  const wrap = h(
    "div",
    { class: `field ${o.class ?? ""}`.trim(), "data-field": o.name },
    label,
    o.hint ? h("div", { id: hintId, class: "field-hint" }, o.hint) : null,
    h("div", { class: "control-row" }, control, o.after ?? null),
    error,
  );
  const setError = (messages: string[] | string | null | undefined) => {
    const list = messages === null || messages === undefined ? [] : Array.isArray(messages) ? messages : [messages];
    const label = FIELD_LABEL[o.name] ?? o.label;
    error.textContent = list.map((m) => `${label} ${m}`).join(". ");
    if (list.length > 0) {
      control.setAttribute("aria-invalid", "true");
      wrap.classList.add("invalid");
    } else {
      control.removeAttribute("aria-invalid");
      wrap.classList.remove("invalid");
    }
  };
  return { name: o.name, wrap, control, error, setError };
}

export function textInput(attrs: Record<string, string | number | boolean | undefined> = {}): HTMLInputElement {
  return h("input", { type: "text", autocomplete: "off", spellcheck: "false", ...attrs });
}

/**
 * A date typed the clinic's way (`MM/DD/YYYY`, `DD/MM/YYYY` or `YYYY-MM-DD`), filled with
 * `value` (`YYYY-MM-DD`, shown in that order). Read it with `parseDate`. A text field, not
 * `type="date"`: the webview would show the computer's locale, not the clinic's.
 */
export function dateInput(value = "", attrs: Record<string, string | number | boolean | undefined> = {}): HTMLInputElement {
  const input = textInput({ value: showDate(value), placeholder: datePattern(), ...attrs });
  // once read, shown back in the clinic's order, so "3/4/1990" is seen as what it was taken for
  input.addEventListener("blur", () => {
    const p = parseDate(input.value);
    if (p.ok && showDate(p.value) !== input.value) {
      input.value = showDate(p.value);
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });
  return input;
}

/** A time of day typed on the clinic's clock, filled with `value` (24-hour `HH:MM`). Read it with `parseTime`. */
export function timeInput(value = "", attrs: Record<string, string | number | boolean | undefined> = {}): HTMLInputElement {
  const input = textInput({ value: showTime(value), placeholder: timePattern(), ...attrs });
  input.addEventListener("blur", () => {
    const p = parseTime(input.value);
    if (p.ok && showTime(p.value) !== input.value) {
      input.value = showTime(p.value);
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });
  return input;
}

export function select(options: ReadonlyArray<[string, string]>, value = ""): HTMLSelectElement {
  const s = h("select", null, ...options.map(([v, label]) => h("option", { value: v }, label)));
  s.value = value;
  return s;
}

/**
 * Shows field errors on their fields; messages for fields the form does not have go to the
 * form's banner. Returns the first field that got an error (to focus it).
 */
export function showFieldErrors(
  fields: ReadonlyArray<Field>,
  errors: Record<string, string[] | undefined>,
  banner: HTMLElement,
): Field | null {
  let first: Field | null = null;
  const known = new Set(fields.map((f) => f.name));
  for (const f of fields) {
    const msgs = errors[f.name];
    f.setError(msgs);
    if (msgs && msgs.length > 0 && !first) first = f;
  }
  const others = Object.entries(errors)
    .filter(([k, v]) => !known.has(k) && v && v.length > 0)
    .map(([k, v]) => `${FIELD_LABEL[k] ?? (k === "measurements" ? "" : k)} ${(v ?? []).join(", ")}`.trim());
  setBanner(banner, others.length > 0 ? `Please correct: ${others.join("; ")}.` : null);
  return first;
}

/** Sets (or clears) a form's error banner. */
export function setBanner(banner: HTMLElement, message: string | null, kind: "error" | "info" = "error"): void {
  banner.textContent = message ?? "";
  banner.hidden = !message;
  banner.className = `banner banner-${kind}`;
}

/** A form's error banner: announced when it changes. */
export function banner(id: string): HTMLDivElement {
  const b = h("div", { id, "data-testid": id, class: "banner banner-error", role: "alert" });
  b.hidden = true;
  return b;
}

/** What a form says when saving failed for a reason other than field errors. */
export function saveErrorText(e: { code: string; message: string }, what: string): string {
  switch (e.code) {
    case "not_signed_in":
    case "unauthorized":
      return "Not saved: you are signed out. Sign in again, then save again; what you typed is kept.";
    case "forbidden":
      return `Not saved: you may not ${what}. (${e.message})`;
    case "network":
      return `Not saved: the clinic server could not be reached. ${e.message}`;
    case "rate_limited":
      return "Not saved: too many requests. Wait a moment, then save again.";
    case "not_found":
      return `Not saved: the record was not found. ${e.message}`;
    default:
      return `Not saved: ${e.message}`;
  }
}

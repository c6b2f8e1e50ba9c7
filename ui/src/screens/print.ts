// A page to print: the provider's day list, the patient's appointment card, or the visit
// summary of vital signs. Shown as it will print (a white page), with Print… opening the
// system print dialog (where Save as PDF is also offered); the app around it is left off the
// paper by the print style sheet.

import { nowMs } from "../lib/clock";
import { api } from "../api";
import type { CommandError } from "../bindings/CommandError";
import { h, replace } from "../dom";
import { appointmentCardDoc, dayListDoc, visitSummaryDoc, type PrintDoc } from "../lib/print";
import { loadUnitPrefs } from "../lib/units";
import { formatTime } from "../lib/locale";
import { isWithdrawn } from "../lib/vitals";
import type { Ctx, Route, Screen } from "../ui/context";

/** What to print. */
export type PrintRoute = Extract<Route, { name: "print" }>;

/** Lays a printed page out as DOM. */
export function renderDoc(d: PrintDoc): HTMLElement {
  return h(
    "article",
    { class: "print-page", "data-testid": "print-page" },
    h("h1", { class: "print-title", "data-testid": "print-title" }, d.title),
    d.lines.map((l) => h("p", { class: "print-line" }, l)),
    d.tables.map((t) =>
      h(
        "table",
        { class: "print-table", "data-testid": "print-table" },
        h("caption", null, t.caption),
        t.rows.length > 0 ? h("thead", null, h("tr", null, t.head.map((c) => h("th", { scope: "col" }, c)))) : null,
        h(
          "tbody",
          null,
          t.rows.map((r, i) => h("tr", { class: t.marked?.includes(i) ? "print-marked" : "", "data-testid": "print-row" }, r.map((c) => h("td", null, c)))),
        ),
      ),
    ),
    h("footer", { class: "print-footer" }, d.footer.map((l) => h("div", null, l))),
  );
}

/** The print screen: the page of `route.layout` as it will print, Print… and Close. */
export function printScreen(ctx: Ctx, route: PrintRoute): Screen {
  const host = h("div", { class: "print-host", "aria-busy": "true" }, h("p", { class: "muted" }, "Preparing…"));
  const err = h("div", { class: "banner banner-error", role: "alert", "data-testid": "print-error" });
  err.hidden = true;
  const print = h("button", { type: "button", class: "btn btn-primary", "data-testid": "print-now", disabled: true }, "Print…", h("kbd", { "aria-hidden": "true" }, "Ctrl+P"));
  print.addEventListener("click", () => window.print());
  const close = h("button", { type: "button", class: "btn", "data-testid": "print-close", onclick: () => ctx.back() }, "Close", h("kbd", { "aria-hidden": "true" }, "Esc"));
  const title = { "day-list": "Print the day list", card: "Print an appointment card", summary: "Print a visit summary" }[route.layout];
  const el = h(
    "section",
    { class: "screen print-screen", "aria-labelledby": "print-screen-title", "data-testid": "print-screen" },
    h("div", { class: "screen-head no-print" }, h("h1", { id: "print-screen-title", tabindex: "-1" }, title), h("div", { class: "form-actions" }, print, close)),
    h("p", { class: "muted no-print" }, "As it will print. In the print dialog you can also save it as a PDF."),
    err,
    host,
  );

  const build = async (): Promise<PrintDoc> => {
    // the clinic's current address and phone; offline, those known at sign-in
    const clinic = await api.clinicSettings().catch(() => ctx.user.tenant);
    if (route.layout === "day-list") {
      const date = route.date ?? ctx.today();
      const providerId = route.providerId ?? ctx.user.id;
      const rows = (await api.dayAppointments(date, providerId)).filter((r) => !r.appointment.rejected);
      const providerName = ctx.staff().find((s) => s.id === providerId)?.full_name ?? "";
      return dayListDoc({ clinic, providerName, date, today: ctx.today(), rows, tz: ctx.tz, printedAt: formatTime(nowMs(), ctx.tz) });
    }
    const chart = await api.patientChart(route.patientId ?? "");
    // what the server refused never goes on paper (a patient would take home a visit that
    // was never booked)
    if (route.layout === "card") {
      const rows = chart.appointments.filter((r) => !r.appointment.rejected && !r.appointment.held);
      return appointmentCardDoc({ clinic, patient: chart.patient.record, rows, nowMs: nowMs(), tz: ctx.tz });
    }
    const tempUnit = loadUnitPrefs(globalThis.localStorage).temperature;
    // sets entered in error are withdrawn: not printed
    const vitals = chart.vitals.filter((v) => !v.rejected && !v.held && !isWithdrawn(v.record)).map((v) => v.record);
    return visitSummaryDoc({ clinic, patient: chart.patient.record, vitals, today: ctx.today(), tz: ctx.tz, tempUnit });
  };

  void build()
    .then((d) => {
      replace(host, renderDoc(d));
      host.removeAttribute("aria-busy");
      (print as HTMLButtonElement).disabled = false;
      (print as HTMLButtonElement).focus();
    })
    .catch((e) => {
      replace(host);
      err.textContent = `Could not prepare the page: ${(e as CommandError).message}`;
      err.hidden = false;
    });

  return {
    el,
    title,
    focus: () => el.querySelector<HTMLElement>("h1")?.focus(),
    onKey: (e) => {
      if (e.ctrlKey && !e.altKey && e.key.toLowerCase() === "p" && !(print as HTMLButtonElement).disabled) {
        e.preventDefault();
        window.print();
        return true;
      }
      if (e.key === "Escape") {
        ctx.back();
        return true;
      }
      return false;
    },
  };
}

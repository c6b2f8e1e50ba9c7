// Administration → Clinic settings: the clinic's name, address and phone (printed on cards and
// summaries), how it writes dates and times, "administrators must use two-factor sign-in", and
// the plan's limits (read-only: the operator of the server sets them).

import { api } from "../api";
import type { CommandError } from "../bindings/CommandError";
import type { DateOrder } from "../bindings/DateOrder";
import type { HourCycle } from "../bindings/HourCycle";
import type { TenantInfo } from "../bindings/TenantInfo";
import type { WeekStart } from "../bindings/WeekStart";
import type { TenantPatch } from "../bindings/TenantPatch";
import { h, replace } from "../dom";
import type { Ctx, Screen } from "../ui/context";
import { conventions, formatLongDate, setConventions, showDate, showTime } from "../lib/locale";
import { banner, field, select, setBanner, showFieldErrors, textInput } from "../ui/forms";
import { adminErrorText } from "./users";

/** A plan limit in words: "Up to 25" or "Unlimited", with how many there are now when known. */
export function limitText(limit: number | null | undefined, now: number | null = null, what = ""): string {
  const cap = limit === null || limit === undefined ? "Unlimited" : `Up to ${limit.toLocaleString("en-US")}${what ? ` ${what}` : ""}`;
  return now === null ? cap : `${cap} (${now.toLocaleString("en-US")} now)`;
}

const EXAMPLE_DATE = "2024-03-14";

/** The choices of date order, each shown as the example date written that way. */
export const DATE_ORDER_CHOICES: ReadonlyArray<[DateOrder, string]> = [
  ["month_day_year", `Month first: ${showDate(EXAMPLE_DATE, { ...conventions(), date_order: "month_day_year" })} (United States)`],
  ["day_month_year", `Day first: ${showDate(EXAMPLE_DATE, { ...conventions(), date_order: "day_month_year" })} (United Kingdom, most of the world)`],
  ["year_month_day", `Year first: ${EXAMPLE_DATE} (ISO 8601)`],
];

const HOUR_CYCLE_CHOICES: ReadonlyArray<[HourCycle, string]> = [
  ["h12", `12-hour: ${showTime("14:30", { ...conventions(), hour_cycle: "h12" })}`],
  ["h23", "24-hour: 14:30"],
];

const WEEK_START_CHOICES: ReadonlyArray<[WeekStart, string]> = [
  ["sunday", "Sunday"],
  ["monday", "Monday"],
  ["saturday", "Saturday"],
];

export function clinicScreen(ctx: Ctx): Screen {
  const heading = h("h1", { id: "clinic-title", tabindex: -1 }, "Clinic settings");
  const err = banner("clinic-error");
  const body = h("div", { "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
  const el = h(
    "section",
    { class: "screen clinic-screen form-screen", "data-testid": "clinic-screen", "aria-labelledby": "clinic-title" },
    h("div", { class: "screen-head" }, heading),
    err,
    body,
  );

  const render = (t: TenantInfo, activeUsers: number | null) => {
    const name = field(textInput({ value: t.name, autocomplete: "organization" }), { id: "clinic-name", name: "name", label: "Clinic name", required: true });
    const requireTotp = h("input", { type: "checkbox", checked: t.require_admin_totp });
    const totp = field(requireTotp, {
      id: "clinic-require-admin-totp",
      name: "require_admin_totp",
      label: "Require two-factor sign-in for administrators",
      class: "checkbox-field",
      hint: "Administrators without it are asked to set it up at their next sign-in. Turn on two-factor sign-in for yourself first (My account).",
    });
    const address = field(h("textarea", { rows: 3, maxlength: 300, autocomplete: "street-address" }, t.address ?? "") as HTMLTextAreaElement, {
      id: "clinic-address",
      name: "address",
      label: "Address",
      hint: "As printed on appointment cards and visit summaries; one line per line of the address",
    });
    const phone = field(textInput({ value: t.phone ?? "", autocomplete: "tel", maxlength: 40 }), { id: "clinic-phone", name: "phone", label: "Phone", hint: "The number patients call" });
    const dateOrder = field(select(DATE_ORDER_CHOICES, t.date_order), {
      id: "clinic-date-order",
      name: "date_order",
      label: "Dates",
      hint: "How every date is shown and typed: 3/4/1990 means March 4 when the month is first, 3 April when the day is first",
    });
    const hourCycle = field(select(HOUR_CYCLE_CHOICES, t.hour_cycle), { id: "clinic-hour-cycle", name: "hour_cycle", label: "Clock" });
    const weekStart = field(select(WEEK_START_CHOICES, t.week_start), { id: "clinic-week-start", name: "week_start", label: "Weeks start on", hint: "In the schedule's week view" });
    const example = h("p", { class: "muted small", "data-testid": "clinic-dates-example", "aria-live": "polite" });
    const showExample = () => {
      const c = { date_order: dateOrder.control.value as DateOrder, hour_cycle: hourCycle.control.value as HourCycle, week_start: weekStart.control.value as WeekStart };
      example.textContent = `Shown as: ${showDate(EXAMPLE_DATE, c)} ${showTime("14:30", c)} · ${formatLongDate(EXAMPLE_DATE, c)}. Other workstations change at their next sign-in.`;
    };
    for (const f of [dateOrder, hourCycle, weekStart]) f.control.addEventListener("change", showExample);
    showExample();
    const fields = [name, address, phone, dateOrder, hourCycle, weekStart, totp];
    const formErr = banner("clinic-form-error");
    const save = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "clinic-save" }, "Save settings");
    const form = h("form", { class: "stack-form narrow", novalidate: true, "data-testid": "clinic-form" }, ...[name, address, phone].map((f) => f.wrap),
      h("fieldset", { class: "fieldset", "data-testid": "clinic-dates" }, h("legend", null, "Dates and times"), dateOrder.wrap, hourCycle.wrap, weekStart.wrap, example),
      totp.wrap,
      formErr, h("div", { class: "form-actions form-actions-sticky" }, save));
    let busy = false;
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (busy) return;
      const patch: TenantPatch = {};
      if (name.control.value.trim() !== t.name) patch.name = name.control.value.trim();
      if (requireTotp.checked !== t.require_admin_totp) patch.require_admin_totp = requireTotp.checked;
      if (address.control.value.trim() !== (t.address ?? "")) patch.address = address.control.value.trim();
      if (phone.control.value.trim() !== (t.phone ?? "")) patch.phone = phone.control.value.trim();
      if (dateOrder.control.value !== t.date_order) patch.date_order = dateOrder.control.value as DateOrder;
      if (hourCycle.control.value !== t.hour_cycle) patch.hour_cycle = hourCycle.control.value as HourCycle;
      if (weekStart.control.value !== t.week_start) patch.week_start = weekStart.control.value as WeekStart;
      if (!name.control.value.trim()) {
        showFieldErrors(fields, { name: ["is required"] }, formErr);
        name.control.focus();
        return;
      }
      if (Object.keys(patch).length === 0) {
        showFieldErrors(fields, {}, formErr);
        setBanner(formErr, "Nothing was changed.", "info");
        return;
      }
      busy = true;
      save.disabled = true;
      try {
        const saved = await api.updateClinicSettings(patch);
        setConventions(saved);
        ctx.toast("Clinic settings saved.", "success");
        render(saved, activeUsers);
      } catch (raw) {
        const ce = raw as CommandError;
        const f = showFieldErrors(fields, ce.fields ?? {}, formErr);
        if (!ce.fields) setBanner(formErr, adminErrorText(ce, "change clinic settings"));
        (f ?? name).control.focus();
      } finally {
        busy = false;
        save.disabled = false;
      }
    });
    const fact = (k: string, v: string, testid: string) => [h("dt", null, k), h("dd", { "data-testid": testid }, v)];
    replace(
      body,
      h("section", { class: "panel", "aria-labelledby": "clinic-general" }, h("h2", { id: "clinic-general" }, "Clinic"), form),
      h(
        "section",
        { class: "panel", "aria-labelledby": "clinic-plan", "data-testid": "clinic-plan" },
        h("h2", { id: "clinic-plan" }, "Plan"),
        h(
          "dl",
          { class: "demo facts" },
          fact("Clinic code", t.code, "clinic-code"),
          fact("Time zone", t.time_zone, "clinic-time-zone"),
          fact("Active staff accounts", limitText(t.max_users, activeUsers), "clinic-max-users"),
          fact("Patients", limitText(t.max_patients), "clinic-max-patients"),
        ),
        h("p", { class: "muted small" }, "The plan's limits are set by whoever runs the server (medoffice-server tenant set-plan)."),
      ),
    );
    body.removeAttribute("aria-busy");
  };

  const load = async () => {
    try {
      const [t, users] = await Promise.all([api.clinicSettings(), api.listUsers().catch(() => null)]);
      setBanner(err, null);
      render(t, users ? users.filter((u) => u.active).length : null);
    } catch (raw) {
      replace(body);
      setBanner(err, `Could not read the clinic settings: ${(raw as CommandError).message}`);
    }
  };
  void load();

  return { el, title: "Clinic settings", focus: () => heading.focus() };
}

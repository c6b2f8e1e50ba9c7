// Forms over the demographics form of register.ts: editing a patient's details (only the
// changed fields are sent, so the server merges them with what others changed meanwhile), and
// correcting a registration the server refused, then sending it again.

import { api } from "../api";
import type { CommandError } from "../bindings/CommandError";
import type { NewPatient } from "../bindings/NewPatient";
import type { Patient } from "../bindings/Patient";
import type { ReviewItem } from "../bindings/ReviewItem";
import { h, replace } from "../dom";
import { patientName, summarizeFieldErrors } from "../lib/format";
import { buildNewPatient, patientChanges, patientFormValues } from "../lib/patientForm";
import { fieldLabel } from "../lib/review";
import type { Ctx, Screen } from "../ui/context";
import { patientFormScreen } from "./register";
import { showDate } from "../lib/locale";

/** A screen whose content arrives later: loading text, then the inner screen or an error. */
function deferred(ctx: Ctx, title: string, testid: string, load: () => Promise<Screen>): Screen {
  const el = h("section", { class: "screen", "data-testid": testid, "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
  let inner: Screen | null = null;
  const screen: Screen = {
    el,
    title,
    focus: () => (inner ? inner.focus() : el.focus()),
    form: { save: () => inner?.form?.save(), close: () => ctx.back() },
  };
  load()
    .then((s) => {
      inner = s;
      screen.title = s.title;
      replace(el, s.el);
      el.removeAttribute("aria-busy");
      if (el.isConnected) s.focus();
    })
    .catch((raw) => {
      const e = raw as CommandError;
      replace(
        el,
        h("div", { class: "banner banner-error", role: "alert", "data-testid": `${testid}-error` }, e.message ?? String(raw)),
        h("div", { class: "form-actions" }, h("button", { type: "button", class: "btn", onclick: () => ctx.back() }, "Close")),
      );
      el.removeAttribute("aria-busy");
    });
  return screen;
}

export function editPatientScreen(ctx: Ctx, patientId: string): Screen {
  const route = { name: "edit-patient", patientId } as const;
  return deferred(ctx, "Edit details", "edit-patient", async () => {
    const chart = await api.patientChart(patientId);
    const original: Patient = chart.patient.record;
    const intro = h(
      "p",
      { class: "muted form-intro", "data-testid": "edit-patient-for" },
      `MRN ${original.mrn} · DOB ${showDate(original.date_of_birth)}. Only what you change is sent, so changes made elsewhere meanwhile are kept.`,
    );
    return patientFormScreen(ctx, {
      prefix: "edit",
      title: `Edit details: ${patientName(original)}`,
      saveLabel: "Save changes",
      draftKey: `edit-patient:${patientId}`,
      initial: patientFormValues(original),
      intro,
      what: "edit patients",
      restart: () => ctx.replace(route),
      prepare: (values) => {
        const r = patientChanges(original, values, ctx.today());
        if (!r.ok) return r;
        if (Object.keys(r.changes).length === 0) return { ok: false, errors: {}, message: "Nothing was changed." };
        return {
          ok: true,
          save: async () => {
            const saved = await api.editPatient(patientId, r.changes);
            const names = Object.keys(r.changes).map((f) => fieldLabel(f).toLowerCase());
            ctx.toast(
              `Saved ${names.join(", ")} of ${patientName(saved.record)}${saved.pending && !ctx.online() ? " on this workstation; it will be sent when the server is reachable" : ""}.`,
              "success",
            );
            ctx.drafts.delete(`edit-patient:${patientId}`);
            ctx.back();
          },
        };
      },
    });
  });
}

export function resendRegistrationScreen(ctx: Ctx, mutationId: string): Screen {
  const route = { name: "resend-registration", mutationId } as const;
  return deferred(ctx, "Correct registration", "resend-registration", async () => {
    const list = await api.reviewList();
    const item = list.items.find((i): i is Extract<ReviewItem, { kind: "refused" }> => i.kind === "refused" && i.mutation_id === mutationId);
    if (!item) throw { code: "not_found", message: "This refused registration is no longer on the review list." };
    const queued = (item.data ?? {}) as Partial<NewPatient>;
    const intro = h(
      "div",
      { class: "banner banner-error", "data-testid": "resend-reason" },
      h("strong", null, "The server refused this registration: "),
      item.fields ? summarizeFieldErrors(item.fields) : item.reason,
      item.held.length > 0 ? h("div", null, `Waiting for it: ${item.held.map((x) => x.what).join("; ")}.`) : null,
    );
    return patientFormScreen(ctx, {
      prefix: "reg",
      title: "Correct and send again",
      saveLabel: "Send again",
      draftKey: `resend:${mutationId}`,
      initial: patientFormValues(queued),
      initialErrors: item.fields ?? null,
      intro,
      what: "register patients",
      restart: () => ctx.replace(route),
      prepare: (values) => {
        const r = buildNewPatient(values, ctx.today(), item.entity_id);
        if (!r.ok) return r;
        const body: NewPatient = queued.first_seen_at ? { ...r.patient, first_seen_at: queued.first_seen_at } : r.patient;
        return {
          ok: true,
          save: async () => {
            await api.resend(mutationId, body);
            ctx.toast(`Sent the registration of ${patientName(body)} again${item.held.length > 0 ? ", with what waited for it" : ""}.`, "success");
            ctx.drafts.delete(`resend:${mutationId}`);
            ctx.back();
          },
        };
      },
    });
  });
}

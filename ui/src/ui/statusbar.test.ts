import { describe, expect, it } from "vitest";
import type { SyncStatus } from "../bindings/SyncStatus";
import { catchUpText, connectionLabel, problemText } from "./statusbar";

function status(over: Partial<SyncStatus>): SyncStatus {
  return {
    state: "online",
    pending: 0,
    rejected: 0,
    held: 0,
    conflicts: 0,
    possible_duplicates: 0,
    to_review: 0,
    offline_since: null,
    last_synced_at: null,
    cursor: 0,
    last_error: null,
    sign_in_required: false,
    ended_by_server: null,
    catching_up: null,
    clock_ahead_ms: 0,
    clock_wrong: false,
    ...over,
  };
}

describe("status bar", () => {
  it("says how far a catch-up has come, of about how many, and the time left", () => {
    expect(catchUpText(status({}))).toBe("");
    expect(catchUpText(status({ state: "syncing", catching_up: { received: 412000, about: 1300016, seconds_left: 95 } }))).toBe(
      "Receiving the clinic's records: 412,000 of about 1,300,000, about 2 min left",
    );
    expect(catchUpText(status({ state: "syncing", catching_up: { received: 2000, about: 9000, seconds_left: null } }))).toBe(
      "Receiving the clinic's records: 2,000 of about 9,000",
    );
    expect(catchUpText(status({ state: "syncing", catching_up: { received: 8000, about: 9000, seconds_left: 0 } }))).toMatch(/less than a minute left$/);
  });

  it("says a cache this computer cannot write as such, with the core's words on what to do", () => {
    const words =
      "This computer cannot write its local copy of the clinic's records (disk I/O error), so syncing has stopped. Free disk space or ask IT, then restart medoffice. Nothing was lost: the changes not yet sent are still queued here.";
    const s = status({ state: "cache_failed", pending: 3, last_error: words });
    expect(connectionLabel(s, "UTC", null)).toBe("Cannot save on this computer");
    expect(connectionLabel(s, "UTC", null)).not.toMatch(/offline/i);
    expect(problemText(s)).toBe(words);
  });

  it("says what to do even without the core's sentence", () => {
    expect(problemText(status({ state: "cache_failed" }))).toMatch(/Free disk space or ask IT/);
  });

  it("says a server newer than this app as such, never as offline", () => {
    const words =
      "Ask IT to update this workstation's app: the server is newer and sends records this version cannot read. What you enter is kept here and sent after the update.";
    const s = status({ state: "update_required", pending: 2, last_error: words });
    expect(connectionLabel(s, "UTC", null)).toBe("Update needed");
    expect(problemText(s)).toBe(words);
    expect(problemText(status({ state: "update_required" }))).toMatch(/Ask IT to update this workstation's app/);
  });

  it("keeps offline as offline", () => {
    const s = status({ state: "offline", offline_since: "2026-12-06T09:05:00Z", last_error: "server unreachable: connection refused" });
    expect(connectionLabel(s, "UTC", "2026-12-06")).toBe("Offline since 09:05");
    expect(problemText(s)).toBe("server unreachable: connection refused");
    expect(problemText({ ...s, sign_in_required: true })).toBe("");
    expect(problemText(status({ last_error: "old" }))).toBe("");
  });
});

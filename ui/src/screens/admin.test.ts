import { describe, expect, it } from "vitest";
import { limitText } from "./clinic";
import { adminErrorText } from "./users";

describe("administration words", () => {
  it("reads plan limits", () => {
    expect(limitText(null)).toBe("Unlimited");
    expect(limitText(25, 4)).toBe("Up to 25 (4 now)");
    expect(limitText(10000)).toBe("Up to 10,000");
    expect(limitText(undefined, 3)).toBe("Unlimited (3 now)");
  });
  it("says why an admin action was refused", () => {
    const base = { fields: null, conflicting_appointment_id: null };
    expect(adminErrorText({ ...base, code: "plan_limit", message: "This clinic's plan allows 25 active users" }, "create accounts")).toBe(
      "Not possible: This clinic's plan allows 25 active users",
    );
    expect(
      adminErrorText({ ...base, code: "validation", message: "x", fields: { active: ["the clinic must keep at least one active admin"] } }, "deactivate accounts"),
    ).toBe("Not possible: the clinic must keep at least one active admin.");
    expect(adminErrorText({ ...base, code: "network", message: "This needs a connection to the server" }, "reset passwords")).toMatch(/^Not saved: the clinic server could not be reached/);
  });
});

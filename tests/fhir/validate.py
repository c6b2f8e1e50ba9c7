"""Validates FHIR R4 JSON the server answered, independently of the server's own code.

Each file is a resource (or a Bundle of them). Every resource is parsed by the fhir.resources
models (R4B: the R4 technical correction, identical for the resources checked here), which
refuse unknown elements, wrong types and broken cardinality; then the rules those models do
not check are checked here from the specification: the R4 vital-signs profile for every
Observation (category, LOINC code, UCUM unit, blood-pressure components; FHIR R4 §6.1.2.1),
the required value sets of the codes served (AdministrativeGender, ObservationStatus,
AppointmentStatus, ParticipationStatus, IssueSeverity, IssueType, BundleType), and the
shape of a searchset Bundle.

Usage: validate.py FILE...   (prints what is wrong; exits 1 if anything is)
"""

import json
import sys

from fhir.resources.R4B import get_fhir_model_class

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
# FHIR R4 vital-signs profiles: LOINC code -> UCUM unit codes allowed
VITALS = {
    "85354-9": None,  # blood pressure panel: the value is in its components
    "8867-4": {"/min"},
    "9279-1": {"/min"},
    "8310-5": {"Cel", "[degF]"},
    "59408-5": {"%"},
    "2708-6": {"%"},
    "29463-7": {"kg", "g", "[lb_av]"},
    "8302-2": {"cm", "[in_i]"},
    "39156-5": {"kg/m2"},
    "9843-4": {"cm", "[in_i]"},
}
BP_COMPONENTS = {"8480-6", "8462-4"}
VALUE_SETS = {
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
    ("Observation", "status"): {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"},
    ("Appointment", "status"): {"proposed", "pending", "booked", "arrived", "fulfilled", "cancelled", "noshow", "entered-in-error", "checked-in", "waitlist"},
    ("Bundle", "type"): {"document", "message", "transaction", "transaction-response", "batch", "batch-response", "history", "searchset", "collection"},
}
ISSUE_SEVERITY = {"fatal", "error", "warning", "information"}
ISSUE_TYPES = {
    "invalid", "structure", "required", "value", "invariant", "security", "login", "unknown", "expired", "forbidden",
    "suppressed", "processing", "not-supported", "duplicate", "multiple-matches", "not-found", "deleted", "too-long",
    "code-invalid", "extension", "too-costly", "business-rule", "conflict", "transient", "lock-error", "no-store",
    "exception", "timeout", "incomplete", "throttled", "informational",
}


def codings(concept):
    return (concept or {}).get("coding", [])


def check_observation(o, where, problems):
    if not any(c.get("code") == "vital-signs" and c.get("system") == "http://terminology.hl7.org/CodeSystem/observation-category"
               for cat in o.get("category", []) for c in codings(cat)):
        problems.append(f"{where}: not in the vital-signs category")
    loinc = [c.get("code") for c in codings(o.get("code")) if c.get("system") == LOINC]
    if not loinc or loinc[0] not in VITALS:
        problems.append(f"{where}: code {loinc} is not a vital-signs LOINC code")
        return
    if "effectiveDateTime" not in o and "effectivePeriod" not in o:
        problems.append(f"{where}: no effective[x]")
    if not o.get("subject", {}).get("reference", "").startswith("Patient/"):
        problems.append(f"{where}: subject is not a Patient")
    units = VITALS[loinc[0]]
    if units is None:
        found = {c.get("code") for comp in o.get("component", []) for c in codings(comp.get("code")) if c.get("system") == LOINC}
        if not found or not found <= BP_COMPONENTS:
            problems.append(f"{where}: blood pressure components {found}")
        for comp in o.get("component", []):
            q = comp.get("valueQuantity", {})
            if q.get("system") != UCUM or q.get("code") != "mm[Hg]":
                problems.append(f"{where}: a blood pressure component is not in mm[Hg]: {q}")
        return
    q = o.get("valueQuantity")
    if q is None:
        if o.get("status") != "entered-in-error" and "dataAbsentReason" not in o:
            problems.append(f"{where}: no valueQuantity and no dataAbsentReason")
        return
    if q.get("system") != UCUM or q.get("code") not in units:
        problems.append(f"{where}: unit {q.get('system')}|{q.get('code')} is not one of {sorted(units)}")


def check(resource, where, problems):
    kind = resource.get("resourceType")
    try:
        get_fhir_model_class(kind).model_validate(resource)
    except Exception as e:  # noqa: BLE001 - any refusal is a finding
        problems.append(f"{where}: {kind} refused by fhir.resources: {e}")
        return
    for (k, field), allowed in VALUE_SETS.items():
        if kind == k and field in resource and resource[field] not in allowed:
            problems.append(f"{where}: {field} {resource[field]!r} is not in its value set")
    if kind == "Observation":
        check_observation(resource, where, problems)
    if kind == "Appointment":
        for p in resource.get("participant", []):
            if p.get("status") not in {"accepted", "declined", "tentative", "needs-action"}:
                problems.append(f"{where}: participant status {p.get('status')!r}")
    if kind == "OperationOutcome":
        for i in resource.get("issue", []):
            if i.get("severity") not in ISSUE_SEVERITY or i.get("code") not in ISSUE_TYPES:
                problems.append(f"{where}: issue {i}")
    if kind == "Bundle":
        if resource.get("type") == "searchset":
            relations = [l.get("relation") for l in resource.get("link", [])]
            if "self" not in relations:
                problems.append(f"{where}: a searchset without a self link")
            if "total" not in resource:
                problems.append(f"{where}: a searchset without a total")
        for n, e in enumerate(resource.get("entry", [])):
            if "resource" in e:
                if not e.get("fullUrl", "").endswith(f"{e['resource'].get('resourceType')}/{e['resource'].get('id')}"):
                    problems.append(f"{where} entry {n}: fullUrl {e.get('fullUrl')!r} does not name its resource")
                check(e["resource"], f"{where} entry {n}", problems)


def main(paths):
    problems = []
    counted = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        check(doc, path, problems)
        counted += 1 + len(doc.get("entry", []))
    for p in problems:
        print(p)
    print(f"{counted} resources in {len(paths)} files checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

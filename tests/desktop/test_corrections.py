"""Correcting recorded vital signs in the real app (issue 16).

A nurse records a set on Rosalia Olivo that belonged to the patient in the next bed: she opens
"Correct" on its row, is told a reason is needed, gives one and marks it entered in error. The
set stays in the history, struck through, with who and why; it leaves the banner's latest set and
the trend charts. She then records a set with a typing slip (SpO2 79 for 97), amends it from the
same row: the form comes filled with the set's values and its time fixed, she corrects the SpO2
and gives the reason; the row shows the amended values, unflagged, marked amended."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from test_child_vitals import open_chart
from test_chart import figure, label_of
from test_desktop import press, rows, shot, sign_in, step, tid, type_into, wait


def row_of(d, vitals_id):
    return d.find_element(By.CSS_SELECTOR, f'[data-testid="vitals-row"][data-vitals-id="{vitals_id}"]')


def ids(d):
    # read in the page: the history re-renders as the feed arrives, so held rows can go stale
    return set(d.execute_script(
        "return [...document.querySelectorAll('[data-testid=vitals-row]')].map((r) => r.dataset.vitalsId)"))


def record(d, values):
    press(d, tid("btn-record-vitals"))
    wait(d).until(EC.visibility_of_element_located(tid("vitals-heart_rate_bpm")))
    for field, value in values:
        d.find_element(*tid(field)).send_keys(value)
    press(d, tid("vitals-save"))
    wait(d).until(EC.visibility_of_element_located(tid("vitals-history")))
    wait(d).until(lambda x: all(r.get_attribute("data-pending") != "true" for r in rows(x, "vitals-row")))


def test_a_set_is_entered_in_error_and_another_amended(workstation, screenshot_dir):
    d = workstation("corrections").driver
    sign_in(d, "nurse")
    # a patient no other scenario records on (they share one server)
    open_chart(d, "olivo", "Olivo, Rosalia")
    before = len(rows(d, "vitals-row"))
    known = ids(d)

    # the wrong patient's set: 150/95, 130/min (flagged)
    record(d, (("vitals-systolic_mmhg", "150"), ("vitals-diastolic_mmhg", "95"), ("vitals-heart_rate_bpm", "130")))
    wait(d).until(lambda x: len(rows(x, "vitals-row")) == before + 1)
    (wrong,) = ids(d) - known
    known = ids(d)
    banner = d.find_element(*tid("banner-vitals"))
    assert "130" in banner.text
    # no NEWS2 for a set without all seven parameters, and the banner names the ones missing
    assert banner.find_element(*tid("banner-news2-none")).text == (
        "NEWS2 not scored: respiratory rate, SpO2, air or oxygen, consciousness, temperature not recorded"
    )

    press(d, lambda x: row_of(x, wrong).find_element(*tid("vitals-correct")))
    wait(d).until(EC.visibility_of_element_located(tid("correct-reason")))
    # no reason: said at the field, nothing sent
    press(d, tid("correct-withdraw"))
    wait(d).until(lambda x: "Say why" in x.find_element(*tid("correct-error")).text)
    assert row_of(d, wrong).get_attribute("data-status") == "final"
    type_into(d, tid("correct-reason"), "wrong patient: taken on bed 4")
    shot(d, screenshot_dir, "correct-entered-in-error")
    press(d, tid("correct-withdraw"))
    wait(d).until(lambda x: row_of(x, wrong).get_attribute("data-status") == "entered-in-error")
    wait(d).until(lambda x: row_of(x, wrong).get_attribute("data-pending") != "true")
    # kept, struck through, with who and why; its values no longer flagged
    row = row_of(d, wrong)
    assert "row-withdrawn" in row.get_attribute("class")
    assert not row.find_elements(*tid("flag"))
    assert row.find_element(*tid("vitals-status")).text == "entered in error"
    notes = [n.text for n in d.find_elements(*tid("vitals-correction"))]
    assert any("Entered in error by" in n and "wrong patient: taken on bed 4" in n for n in notes), notes
    assert not row.find_elements(*tid("vitals-correct")), "a withdrawn set takes no more corrections"
    # out of the banner's latest set and the heart-rate chart
    wait(d).until(lambda x: "130" not in x.find_element(*tid("banner-vitals")).text)
    press(d, (By.CSS_SELECTOR, '[data-testid="trend-period"][data-period="all"]'))
    wait(d).until(lambda x: x.find_element(*tid("trends")).get_attribute("data-period") == "all")
    assert "130/min" not in label_of(d, "hr")
    step("entered in error")

    # a set with a typing slip, amended from its row
    record(d, (("vitals-heart_rate_bpm", "84"), ("vitals-respiratory_rate_bpm", "18"), ("vitals-spo2_pct", "79")))
    wait(d).until(lambda x: len(rows(x, "vitals-row")) == before + 2)
    (slip,) = ids(d) - known
    assert any(f.get_attribute("data-flag") == "spo2_pct:low" for f in row_of(d, slip).find_elements(*tid("flag")))
    press(d, lambda x: row_of(x, slip).find_element(*tid("vitals-correct")))
    wait(d).until(EC.visibility_of_element_located(tid("correct-amend")))
    press(d, tid("correct-amend"))
    wait(d).until(lambda x: x.find_element(By.ID, "vitals-title").text == "Amend vitals")
    # filled with the set; its time is not amended
    wait(d).until(lambda x: x.find_element(*tid("vitals-spo2_pct")).get_attribute("value") == "79")
    assert d.find_element(*tid("vitals-heart_rate_bpm")).get_attribute("value") == "84"
    assert d.find_element(*tid("vitals-measured_at")).get_attribute("readonly") is not None
    wait(d).until(lambda x: x.find_element(*tid("vitals-flag-spo2_pct")).get_attribute("data-flag") == "low")
    type_into(d, tid("vitals-spo2_pct"), "97")
    wait(d).until(lambda x: x.find_element(*tid("vitals-flag-spo2_pct")).get_attribute("data-flag") == "")
    # no reason: refused at its field
    press(d, tid("vitals-save"))
    wait(d).until(lambda x: x.find_element(By.ID, "vitals-amend-reason").get_attribute("aria-invalid") == "true")
    type_into(d, (By.ID, "vitals-amend-reason"), "typing slip: SpO2 was 97")
    shot(d, screenshot_dir, "correct-amend-form")
    press(d, tid("vitals-save"))
    wait(d).until(EC.visibility_of_element_located(tid("vitals-history")))
    wait(d).until(lambda x: row_of(x, slip).get_attribute("data-status") == "amended")
    wait(d).until(lambda x: row_of(x, slip).get_attribute("data-pending") != "true")
    row = row_of(d, slip)
    assert "97" in row.text and "79" not in row.text
    assert not row.find_elements(*tid("flag"))
    assert row.find_element(*tid("vitals-status")).text == "amended"
    notes = [n.text for n in d.find_elements(*tid("vitals-correction"))]
    assert any("Amended by" in n and "typing slip: SpO2 was 97" in n for n in notes), notes
    d.execute_script("arguments[0].scrollIntoView({block: 'center'});", d.find_element(*tid("vitals-history")))
    shot(d, screenshot_dir, "correct-history")

"""A child's vital signs flagged by the children's ranges, in the real app (issue 16).

A nurse opens Trish Ryan (born 2024-01-03, Synthea), a toddler whose first measurements were
taken as a newborn, and records a heart rate of 190/min: flagged high as she types (APLS 95–140 at
2 to 4 years), the form says NEWS2 is not used and which children's range applies, and once saved
the history, the patient banner and the heart-rate chart show the flag. The chart's bands step
with her age at each reading. Then a 12-year-old boy, Maynard Mosciski, at 168/70 and 112/min:
both flagged as typed (AAP 2017: 113 systolic from 12 for boys; APLS 60–100 from 12)."""

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from test_chart import drawn, figure, label_of
from test_desktop import only_row_is, press, rows, shot, sign_in, step, tid, wait


def open_chart(d, query, name):
    search = d.find_element(*tid("patient-search"))
    search.clear()
    search.send_keys(query)
    wait(d).until(lambda x: only_row_is(x, name))
    search.send_keys(Keys.ENTER)
    wait(d).until(EC.visibility_of_element_located(tid("chart")))
    wait(d).until(lambda x: name in x.find_element(*tid("patient-banner")).text)


def flag_of(d, field):
    return d.find_element(*tid(f"vitals-flag-{field}")).get_attribute("data-flag")


def test_child_vitals_are_flagged_by_age(workstation, screenshot_dir):
    d = workstation("child").driver
    sign_in(d, "nurse")

    open_chart(d, "ryan", "Ryan, Trish")
    press(d, tid("btn-record-vitals"))
    wait(d).until(EC.visibility_of_element_located(tid("vitals-heart_rate_bpm")))
    for field, value in (("vitals-heart_rate_bpm", "190"), ("vitals-respiratory_rate_bpm", "30"), ("vitals-spo2_pct", "97"), ("vitals-temperature_c", "37.2")):
        d.find_element(*tid(field)).send_keys(value)
    # flagged as typed by the children's range; 30/min is within APLS 25–30 at 2 years
    wait(d).until(lambda x: flag_of(x, "heart_rate_bpm") == "high")
    assert flag_of(d, "respiratory_rate_bpm") == ""
    child_note = d.find_element(*tid("vitals-news2-child")).text
    assert "NEWS2 is not used under 16" in child_note and "children's ranges for 2 years" in child_note, child_note
    step("toddler's heart rate flagged as typed")
    press(d, tid("vitals-save"))
    wait(d).until(EC.visibility_of_element_located(tid("vitals-history")))
    wait(d).until(lambda x: any(f.get_attribute("data-flag") == "heart_rate_bpm:high" for f in x.find_elements(*tid("flag"))))
    wait(d).until(lambda x: all(r.get_attribute("data-pending") != "true" for r in rows(x, "vitals-row")))

    # the banner: the flagged rate, and why there is no NEWS2
    banner = d.find_element(*tid("banner-vitals"))
    assert any(f.get_attribute("data-flag") == "heart_rate_bpm:high" for f in banner.find_elements(*tid("flag")))
    assert "flags use children's ranges" in banner.find_element(*tid("banner-news2-none")).text

    # every record since birth: the heart-rate bands step with her age (newborn, infant, 1, 2)
    press(d, (By.CSS_SELECTOR, '[data-testid="trend-period"][data-period="all"]'))
    wait(d).until(lambda x: x.find_element(*tid("trends")).get_attribute("data-period") == "all")
    wait(d).until(lambda x: drawn(x, "hr"))
    hr = figure(d, "hr")
    assert "latest 190/min (high)" in label_of(d, "hr")
    assert "Shaded: < 95/min, ≥ 141/min." in hr.text, hr.text
    assert "Bands follow the patient's age at each reading" in hr.text
    d.execute_script("arguments[0].scrollIntoView({block: 'start'});", d.find_element(*tid("trends")))
    shot(d, screenshot_dir, "child-chart")

    # a 12-year-old boy at 168/70 and 112/min
    press(d, tid("nav-patients"))
    open_chart(d, "mosciski", "Mosciski, Maynard")
    press(d, tid("btn-record-vitals"))
    wait(d).until(EC.visibility_of_element_located(tid("vitals-systolic_mmhg")))
    for field, value in (("vitals-systolic_mmhg", "168"), ("vitals-diastolic_mmhg", "70"), ("vitals-heart_rate_bpm", "112"), ("vitals-respiratory_rate_bpm", "18")):
        d.find_element(*tid(field)).send_keys(value)
    wait(d).until(lambda x: flag_of(x, "systolic_mmhg") == "high" and flag_of(x, "heart_rate_bpm") == "high")
    assert flag_of(d, "diastolic_mmhg") == "" and flag_of(d, "respiratory_rate_bpm") == ""
    assert "children's ranges for 12 years" in d.find_element(*tid("vitals-news2-child")).text
    shot(d, screenshot_dir, "child-vitals-form")
    press(d, tid("vitals-save"))
    wait(d).until(EC.visibility_of_element_located(tid("vitals-history")))
    wait(d).until(lambda x: {f.get_attribute("data-flag") for f in x.find_elements(*tid("flag"))} >= {"systolic_mmhg:high", "heart_rate_bpm:high"})

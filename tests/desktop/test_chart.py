"""The patient chart's trend charts and the duplicate warning at registration, in the real app.

A nurse opens a Synthea patient with several measurement sets (Caleb Pagac: three visits with
blood pressure, heart rate and weight, no SpO2 or temperature), sees the five charts with their
text alternatives, changes the period, records a set in °F and lb with abnormal values and sees
the charts follow the units and flag the new points. Then she starts registering the same man
with a one-letter typo in the family name: the possible existing record is shown before saving,
she opens it, comes back to her draft intact, and registers a new patient anyway."""

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from test_desktop import only_row_is, press, rows, shot, sign_in, step, tid, type_into, wait


def figure(driver, measure):
    return driver.find_element(By.CSS_SELECTOR, f'[data-testid="trend-chart"][data-measure="{measure}"]')


def label_of(driver, measure):
    """The chart's text alternative (the canvas's aria-label), or the empty-period words."""
    fig = figure(driver, measure)
    canvases = fig.find_elements(*tid("trend-canvas"))
    if canvases:
        return canvases[0].get_attribute("aria-label")
    return fig.find_element(*tid("trend-empty")).text


INKED_PIXELS = """
const c = arguments[0];
const img = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let n = 0;
for (let i = 3; i < img.length; i += 4) if (img[i] > 0) n++;
return n;
"""


def drawn(driver, measure):
    """Chart.js drew the chart: the canvas is an image for assistive technology and has ink
    (a fresh canvas is fully transparent)."""
    fig = figure(driver, measure)
    canvas = fig.find_element(*tid("trend-canvas"))
    assert canvas.get_attribute("role") == "img"
    return canvas.get_attribute("data-drawn") == "true" and driver.execute_script(INKED_PIXELS, canvas) > 500


def test_trend_charts_and_duplicate_warning(workstation, screenshot_dir):
    d = workstation("chart").driver
    sign_in(d, "nurse")

    search = d.find_element(*tid("patient-search"))
    search.send_keys("pagac")
    wait(d).until(lambda x: only_row_is(x, "Pagac"))
    search.send_keys(Keys.ENTER)
    wait(d).until(EC.visibility_of_element_located(tid("chart")))
    wait(d).until(lambda x: len(x.find_elements(*tid("trend-chart"))) == 5)
    # the history table stays, with the three Synthea visits
    assert len(rows(d, "vitals-row")) == 3
    trends = d.find_element(*tid("trends"))
    # the visits are 2023-2024: the shortest period that shows a line is 5 years
    assert trends.get_attribute("data-period") == "5y"
    assert figure(d, "bp").get_attribute("data-count") == "3"
    for m in ("bp", "hr", "weight"):
        wait(d).until(lambda x: drawn(x, m))
    assert "latest 111/81 mmHg on 2024-01-21" in label_of(d, "bp")
    assert "systolic 102–115, diastolic 74–82 mmHg over 3 measurements in the last 5 years" in label_of(d, "bp")
    assert "latest 73/min on 2024-01-21" in label_of(d, "hr")
    assert "latest 106.4 kg" in label_of(d, "weight")
    # BMI 35.2: the weight chart shades the BMI bands at his height
    assert "BMI ≥ 30 kg/m² at 174 cm" in figure(d, "weight").text
    assert label_of(d, "spo2") == "No SpO2 recorded in this period."
    assert label_of(d, "temp") == "No temperature recorded in this period."
    step("five charts, default period")

    # three months: nothing recorded, said in words, no canvas
    press(d, (By.CSS_SELECTOR, '[data-testid="trend-period"][data-period="3m"]'))
    wait(d).until(lambda x: label_of(x, "bp") == "No blood pressure recorded in this period.")
    assert d.find_element(By.CSS_SELECTOR, '[data-testid="trend-period"][data-period="3m"]').get_attribute("aria-pressed") == "true"
    assert not d.find_elements(*tid("trend-canvas"))

    # record a set in °F and lb, with abnormal values
    press(d, tid("btn-record-vitals"))
    wait(d).until(EC.visibility_of_element_located(tid("vitals-systolic_mmhg")))
    Select(d.find_element(*tid("vitals-unit-temperature"))).select_by_value("F")
    Select(d.find_element(*tid("vitals-unit-weight"))).select_by_value("lb")
    for field, value in (
        ("vitals-systolic_mmhg", "165"), ("vitals-diastolic_mmhg", "95"), ("vitals-heart_rate_bpm", "118"),
        ("vitals-respiratory_rate_bpm", "22"), ("vitals-spo2_pct", "91"), ("vitals-temperature_c", "101.3"),
        ("vitals-weight_kg", "236.5"),
    ):
        d.find_element(*tid(field)).send_keys(value)
    Select(d.find_element(*tid("vitals-consciousness"))).select_by_value("alert")
    wait(d).until(lambda x: x.find_element(*tid("vitals-flag-systolic_mmhg")).get_attribute("data-flag") == "high")
    press(d, tid("vitals-save"))
    wait(d).until(EC.visibility_of_element_located(tid("vitals-history")))
    wait(d).until(lambda x: len(rows(x, "vitals-row")) == 4)
    wait(d).until(lambda x: all(r.get_attribute("data-pending") != "true" for r in rows(x, "vitals-row")))

    # the period chosen stays; the charts follow the units the nurse picked, and flag the set
    wait(d).until(lambda x: x.find_element(*tid("trends")).get_attribute("data-period") == "3m")
    wait(d).until(lambda x: "°F" in figure(x, "temp").find_element(By.TAG_NAME, "h3").text)
    assert "lb" in figure(d, "weight").find_element(By.TAG_NAME, "h3").text
    assert "latest 101.3 °F (high)" in label_of(d, "temp")
    assert "latest 236.5 lb" in label_of(d, "weight")
    assert "latest 91 % (low)" in label_of(d, "spo2")
    assert "latest 165 (high)/95 (high) mmHg" in label_of(d, "bp")
    assert "latest 118/min (high)" in label_of(d, "hr")
    assert figure(d, "bp").get_attribute("data-count") == "1"
    # the table shows the same set, flagged
    assert any(f.get_attribute("data-flag") == "temperature_c:high" for f in d.find_elements(*tid("flag")))

    # all records: the Synthea visits and today's set
    press(d, (By.CSS_SELECTOR, '[data-testid="trend-period"][data-period="all"]'))
    wait(d).until(lambda x: figure(x, "bp").get_attribute("data-count") == "4")
    assert "over 4 measurements in all records" in label_of(d, "bp")
    for m in ("bp", "hr", "spo2", "temp", "weight"):
        wait(d).until(lambda x: drawn(x, m))
    d.execute_script("arguments[0].scrollIntoView({block: 'start'});", d.find_element(*tid("trends")))
    # the patient banner stays on screen above the trends: who, allergies, the latest set flagged
    banner = d.find_element(*tid("patient-banner"))
    assert d.execute_script("return arguments[0].getBoundingClientRect().top;", banner) >= 0
    assert d.execute_script("return document.querySelector('.main').scrollTop;") > 0, "the chart did scroll"
    # the chart scrolled, not the window: the top bar stays
    assert d.execute_script("return document.scrollingElement.scrollTop;") == 0
    assert "Pagac, Caleb" in banner.text and "MRN" in banner.text
    latest = banner.find_element(*tid("banner-vitals"))
    assert {f.get_attribute("data-flag") for f in latest.find_elements(*tid("flag"))} >= {"systolic_mmhg:high", "heart_rate_bpm:high", "spo2_pct:low"}
    assert latest.find_element(*tid("news2")).get_attribute("data-risk") == "high"
    shot(d, screenshot_dir, "chart-trends")

    # a big monitor: the five charts side by side
    size = d.get_window_size()
    d.set_window_size(2400, 1000)
    tops = lambda x: {round(f.rect["y"]) for f in x.find_elements(*tid("trend-chart"))}
    wait(d).until(lambda x: len(tops(x)) == 1)
    wait(d).until(lambda x: drawn(x, "weight"))
    shot(d, screenshot_dir, "chart-trends-wide")
    d.set_window_size(size["width"], size["height"])
    wait(d).until(lambda x: len(tops(x)) > 1)

    # a theme change redraws with the colours of the CSS variables
    magenta = """
    const c = arguments[0];
    const img = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < img.length; i += 4) if (img[i] === 255 && img[i + 1] === 0 && img[i + 2] === 255) n++;
    return n;
    """
    hr_canvas = lambda x: figure(x, "hr").find_element(*tid("trend-canvas"))
    assert d.execute_script(magenta, hr_canvas(d)) == 0
    d.execute_script(
        "document.documentElement.style.setProperty('--chart-line-1', 'rgb(255, 0, 255)');"
        "window.dispatchEvent(new Event('medoffice-theme-changed'));")
    wait(d).until(lambda x: drawn(x, "hr") and x.execute_script(magenta, hr_canvas(x)) > 50)
    d.execute_script(
        "document.documentElement.style.removeProperty('--chart-line-1');"
        "window.dispatchEvent(new Event('medoffice-theme-changed'));")

    # registering the same man with a typo in the family name: the existing record is shown
    press(d, tid("nav-patients"))
    press(d, tid("btn-register-patient"))
    wait(d).until(EC.visibility_of_element_located(tid("reg-form")))
    typed = {
        "reg-given_name": "Caleb",
        "reg-family_name": "Pagak",
        "reg-date_of_birth": "16.05.1971",
        "reg-phone": "+1 617 555 0142",
        "reg-address": "9 Elm Street, Boston MA 02118",
    }
    for field, value in typed.items():
        type_into(d, tid(field), value)
    Select(d.find_element(*tid("reg-sex"))).select_by_value("male")
    match = wait(d).until(EC.visibility_of_element_located(tid("reg-duplicate")))
    assert "Pagac" in match.text and "1971-05-16" in match.text and "433 Mertz Crossroad" in match.text
    assert match.get_attribute("data-reason") == "similar_name"
    existing_id = match.get_attribute("data-patient-id")
    assert "1 possible existing record" in d.find_element(*tid("reg-duplicates-status")).get_attribute("textContent")
    shot(d, screenshot_dir, "register-duplicate")

    # Save is held until the person decides; the panel takes the focus
    press(d, tid("reg-save"))
    wait(d).until(lambda x: x.switch_to.active_element.get_attribute("data-testid") == "reg-duplicates")
    assert d.find_element(*tid("reg-form")).is_displayed()

    # open the existing record, then come back: nothing typed is lost
    press(d, tid("reg-duplicate-open"))
    wait(d).until(lambda x: x.find_element(*tid("chart")).get_attribute("data-patient-id") == existing_id)
    wait(d).until(lambda x: "Pagac" in x.find_element(*tid("chart-name")).text)
    d.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    wait(d).until(EC.visibility_of_element_located(tid("reg-form")))
    for field, value in typed.items():
        got = d.find_element(*tid(field)).get_attribute("value")
        assert got == (value if field != "reg-date_of_birth" else "1971-05-16"), (field, got)
    assert Select(d.find_element(*tid("reg-sex"))).first_selected_option.get_attribute("value") == "male"

    # register anyway: one explicit confirmation, and the new chart opens
    press(d, tid("reg-register-anyway"))
    wait(d).until(lambda x: "Pagak" in x.find_element(*tid("chart-name")).text)
    assert d.find_element(*tid("chart")).get_attribute("data-patient-id") != existing_id
    step("registered anyway")

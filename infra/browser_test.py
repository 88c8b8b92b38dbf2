"""The report form in a real headless Chromium, as a reporter uses it.

Started by infra/test.sh after the Rust tests: runs the `klaxon` binary on a
free loopback port, fills in the form with the keyboard and mouse, submits
it, and checks the thank-you page shows a reference the API knows. Then it
submits an empty form and checks the error sits next to its field. Then a
critical report pages on-call: the page's ack link, opened in the browser
and confirmed, acknowledges the incident. Last, the responder console: a
commander signs in with an API token and works a drill to closed with the
keyboard and mouse (acknowledge, a hypothesis, contain, resolve, settle the
checklist, close); a viewer sees no buttons and a forced post gets 403.
Then the metrics page's charts, the annual report and the on-call page;
Tab reaches the console's navigation, and countdowns tick with JavaScript
on. axe-core (infra/axe) checks every page it visits for WCAG 2.2 AA, and
three screenshots go to docs/.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

TOKEN = "browser-test-token-0123456789"
COMMANDER = "browser-commander-token-0123456789"
HERE = os.path.dirname(os.path.abspath(__file__))
AXE = os.path.join(HERE, "axe", "node_modules", "axe-core", "axe.min.js")
# Where the console's screenshots go: docs/ when refreshing the README's
# (KLAXON_SCREENSHOTS=docs), else target/, so a test run leaves docs/ alone.
SHOTS = os.path.join(os.path.dirname(HERE), os.environ.get("KLAXON_SCREENSHOTS", "target"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_klaxon(binary, data_dir, port):
    env = dict(os.environ)
    env["KLAXON_API_TOKENS"] = f"browser:viewer:{TOKEN},ic:commander:{COMMANDER}"
    env["KLAXON_PRODUCTS"] = "Workzone,AI Insights"
    proc = subprocess.Popen(
        [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except Exception:
            time.sleep(0.05)
    proc.kill()
    sys.exit("klaxon serve did not start")


def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage",
    ]:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tempfile.mkdtemp()}")
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=opts)


def test_submit_and_see_reference(driver, base, data_dir):
    driver.get(f"{base}/report")
    summary = driver.find_element(By.ID, "title")
    summary.click()
    summary.send_keys("Stored XSS in the page macro")
    # Keyboard only from here: Tab moves to the product select.
    summary.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("id") == "product", "Tab did not reach the product field"
    Select(driver.find_element(By.ID, "product")).select_by_visible_text("Workzone")
    driver.find_element(By.ID, "description").send_keys("The macro renders user HTML unescaped.")
    driver.find_element(By.ID, "steps_to_reproduce").send_keys("1. Insert the macro\n2. Paste <img src=x onerror=alert(1)>")
    driver.find_element(By.ID, "impact").send_keys("Session theft for any viewer")
    driver.find_element(By.ID, "cvss").send_keys("CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:N")
    driver.find_element(By.ID, "site_url").send_keys("https://acme.atlassian.net")
    driver.find_element(By.ID, "reporter_email").send_keys("ada@example.com")
    driver.find_element(By.ID, "contact_consent").send_keys(Keys.SPACE)
    assert driver.find_element(By.ID, "contact_consent").is_selected()
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # The submit navigates: wait for the thank-you page rather than racing it.
    reference = settled(driver).until(EC.presence_of_element_located((By.ID, "reference"))).text.strip()
    assert reference.startswith("KLX-"), f"no reference on the thank-you page: {driver.page_source[:500]}"
    # The API knows the incident by that reference.
    req = urllib.request.Request(f"{base}/api/v1/incidents?status=reported", headers={"Authorization": f"Bearer {TOKEN}"})
    for _ in range(50):
        incidents = json.load(urllib.request.urlopen(req))["incidents"]
        incidents += json.load(urllib.request.urlopen(urllib.request.Request(
            f"{base}/api/v1/incidents?status=triaged", headers={"Authorization": f"Bearer {TOKEN}"})))["incidents"]
        match = [i for i in incidents if i["reference"] == reference]
        if match:
            assert match[0]["product"] == "Workzone", match[0]
            assert match[0]["contact_consent"] is True, match[0]
            return
        time.sleep(0.1)
    raise AssertionError(f"{reference} is not stored")


def test_errors_beside_fields(driver, base, data_dir):
    driver.get(f"{base}/report")
    driver.find_element(By.ID, "reporter_email").send_keys("not-an-email")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    error = settled(driver).until(EC.presence_of_element_located((By.ID, "title-error")))
    assert "required" in error.text, error.text
    field = driver.find_element(By.ID, "title")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby") == "title-error"
    assert driver.find_element(By.ID, "reporter_email-error").is_displayed()
    assert driver.find_element(By.ID, "reporter_email").get_attribute("value") == "not-an-email", "value kept"
    # The focus outline is visible.
    field.click()
    outline = driver.execute_script("return getComputedStyle(arguments[0]).outlineStyle", field)
    assert outline not in ("none", ""), f"no visible focus outline ({outline})"


def test_page_ack_link_in_browser(driver, base, data_dir):
    body = json.dumps({"title": "RCE in the webhook handler",
                       "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}).encode()
    req = urllib.request.Request(f"{base}/reports", data=body, headers={"content-type": "application/json"})
    accepted = json.load(urllib.request.urlopen(req))
    reference = accepted["reference"]
    link = None
    for _ in range(100):
        try:
            with open(os.path.join(data_dir, "outbox.jsonl")) as f:
                for line in f:
                    m = json.loads(line)
                    if m["message_attributes"]["kind"] == "page" and m["message"]["json"]["reference"] == reference:
                        link = m["message"]["json"]["links"]["ack"]
        except FileNotFoundError:
            pass
        if link:
            break
        time.sleep(0.1)
    assert link and "/ack/" in link, f"no page with an ack link for {reference}"
    # Opening the link (as a preview bot would) changes nothing; the button does.
    driver.get(link)
    button = settled(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "button[type=submit]")))
    assert "Acknowledge as oncall-primary" in button.text, button.text
    button.click()
    heading = settled(driver).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Acknowledged"))
    assert heading
    incident = json.load(urllib.request.urlopen(urllib.request.Request(
        f"{base}/api/v1/incidents/{accepted['incident_id']}", headers={"Authorization": f"Bearer {TOKEN}"})))
    ack = incident["incident"]["acknowledged"]
    assert ack["via"] == "page link" and ack["by"] == "oncall-primary", ack
    assert incident["incident"]["status"] == "acknowledged", incident["incident"]["status"]
    assert incident["incident"]["paging"].get("next_at") is None, "paging stopped"


def axe_check(driver, what):
    """0 WCAG 2.0/2.1/2.2 A and AA violations on the page as it stands."""
    with open(AXE) as f:
        driver.execute_script(f.read())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
        ".then(r => done({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))}))"
        ".catch(e => done({error: String(e)}));")
    assert "error" not in result, f"axe failed on {what}: {result}"
    assert result["violations"] == [], f"axe: {what}: {json.dumps(result['violations'], indent=1)}"
    assert result["passes"] > 10, f"axe checked next to nothing on {what}: {result}"


def api(base, method, path, body=None, token=COMMANDER):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{base}{path}", data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "content-type": "application/json"})
    return json.load(urllib.request.urlopen(req))


def drill(base, title):
    made = api(base, "POST", "/api/v1/drills", {"class": "leaked_production_secret", "severity": "SEV-2",
                                                "tenant": "acme.example", "title": title})
    reference = made["incident"]["reference"]
    for _ in range(100):
        if api(base, "GET", f"/api/v1/incidents/{reference}")["incident"]["status"] != "reported":
            break
        time.sleep(0.05)
    return reference


def console_sign_in(driver, base, token):
    driver.delete_all_cookies()
    driver.get(f"{base}/console")
    # Not signed in: the console sends the browser to its sign-in page.
    settled(driver).until(EC.presence_of_element_located((By.ID, "token")))
    axe_check(driver, "sign-in")
    field = driver.find_element(By.ID, "token")
    field.send_keys("wrong-token")
    field.send_keys(Keys.ENTER)
    error = settled(driver).until(EC.presence_of_element_located((By.ID, "token-error")))
    assert "not valid" in error.text, error.text
    axe_check(driver, "sign-in refused")
    field = driver.find_element(By.ID, "token")
    field.send_keys(token)
    field.send_keys(Keys.ENTER)
    settled(driver).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Incidents"))


def submit(driver, form_id):
    """Posts the form and waits for the page it answers with, so that a wait
    after it cannot read the last page's "Status changed." and run ahead."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, f"#{form_id} button[type=submit]").click()
    settled(driver).until(EC.staleness_of(page))


def test_console_commander_works_an_incident(driver, base, data_dir):
    reference = drill(base, "Deploy key leaked in a public gist")
    other = drill(base, "Second drill, for the list")
    console_sign_in(driver, base, COMMANDER)
    assert reference in driver.page_source and other in driver.page_source
    axe_check(driver, "incidents")
    driver.get(f"{base}/console?severity=SEV-9")
    settled(driver).until(EC.presence_of_element_located((By.ID, "filter-error")))
    axe_check(driver, "incidents with a refused filter")
    driver.get(f"{base}/console?status=triaged")
    driver.find_element(By.LINK_TEXT, reference).click()
    settled(driver).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), reference))
    axe_check(driver, "incident")

    # Acknowledge with the keyboard: focus the note, Enter submits its form.
    note = driver.find_element(By.ID, "ack-note")
    note.send_keys("on it")
    note.send_keys(Keys.ENTER)
    settled(driver).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.summary"), "Acknowledged."))
    assert "via console" in driver.find_element(By.ID, "paging").find_element(By.XPATH, "following-sibling::p").text

    driver.find_element(By.CSS_SELECTOR, "#notes-form input[value=hypothesis]").click()
    driver.find_element(By.ID, "notes-text").send_keys("the gist was forked before it was deleted")
    submit(driver, "notes-form")
    settled(driver).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.summary"), "Note added."))
    hypothesis = driver.find_element(By.CSS_SELECTOR, "p.hypothesis")
    assert "forked" in hypothesis.text, hypothesis.text

    # Containing without the containment is refused beside that field.
    Select(driver.find_element(By.ID, "status-status")).select_by_value("contained")
    submit(driver, "status-form")
    error = settled(driver).until(EC.presence_of_element_located((By.ID, "status-containment-error")))
    assert "containment" in error.text, error.text
    assert driver.find_element(By.ID, "status-containment").get_attribute("aria-invalid") == "true"
    axe_check(driver, "incident with a refused form")
    driver.set_window_size(1400, 900)
    driver.execute_script("document.getElementById('actions').scrollIntoView()")
    driver.save_screenshot(os.path.join(SHOTS, "console-refusal.png"))
    Select(driver.find_element(By.ID, "status-status")).select_by_value("contained")
    driver.find_element(By.ID, "status-containment").send_keys("revoked the deploy key")
    submit(driver, "status-form")
    settled(driver).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.summary"), "Status changed."))

    Select(driver.find_element(By.ID, "status-status")).select_by_value("resolved")
    driver.find_element(By.ID, "status-root_cause").send_keys("a personal gist sync tool")
    submit(driver, "status-form")
    settled(driver).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.summary"), "Status changed."))

    # Settle the checklist from its own forms, then close.
    while True:
        forms = [f for f in driver.find_elements(By.CSS_SELECTOR, "form[id^=task-]")
                 if "open" in f.find_element(By.XPATH, "../preceding-sibling::td[1]").text.split(":")[0]]
        if not forms:
            break
        form = forms[0]
        fid = form.get_attribute("id")
        Select(form.find_element(By.CSS_SELECTOR, "select")).select_by_value("waived")
        form.find_element(By.CSS_SELECTOR, "input[name=note]").send_keys("drill: not applicable")
        submit(driver, fid)
        settled(driver).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.summary"), "Task saved."))
    Select(driver.find_element(By.ID, "status-status")).select_by_value("closed")
    submit(driver, "status-form")
    settled(driver).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.summary"), "Status changed."))
    assert api(base, "GET", f"/api/v1/incidents/{reference}")["incident"]["status"] == "closed"
    axe_check(driver, "closed incident")
    driver.get(f"{base}/console")
    driver.set_window_size(1400, 700)
    driver.save_screenshot(os.path.join(SHOTS, "console-incidents.png"))


def test_console_viewer_has_no_buttons(driver, base, data_dir):
    reference = drill(base, "Viewer's drill")
    console_sign_in(driver, base, TOKEN)
    driver.get(f"{base}/console/incidents/{reference}")
    settled(driver).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), reference))
    axe_check(driver, "incident as a viewer")
    buttons = [b.text for b in driver.find_elements(By.CSS_SELECTOR, "main button")]
    assert buttons == [], f"a viewer sees buttons: {buttons}"
    # Forced: the viewer's own session and form token, posted anyway.
    csrf = driver.find_element(By.CSS_SELECTOR, "header input[name=_csrf]").get_attribute("value")
    # The page's own form, rebuilt without the button and submitted.
    driver.execute_script(
        "const f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];"
        "const i = document.createElement('input'); i.type = 'hidden'; i.name = '_csrf'; i.value = arguments[1];"
        "f.appendChild(i); document.body.appendChild(f); f.submit();",
        f"/console/incidents/{reference}/ack", csrf)
    settled(driver).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Not allowed"))
    axe_check(driver, "refusal page")
    # And its status, with the browser's session cookie.
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    req = urllib.request.Request(f"{base}/console/incidents/{reference}/ack", data=f"_csrf={csrf}".encode(),
                                 method="POST", headers={"cookie": cookie, "sec-fetch-site": "same-origin",
                                                         "content-type": "application/x-www-form-urlencoded"})
    try:
        urllib.request.urlopen(req)
        status = 200
    except urllib.error.HTTPError as e:
        status = e.code
    assert status == 403, status
    assert api(base, "GET", f"/api/v1/incidents/{reference}")["incident"].get("acknowledged") is None


def settled(driver, timeout=15):
    """A wait that reads the page again when it changed under a read: a
    re-render can drop an element between finding it and reading it, which
    Chrome reports as a stale element or as a node no longer in the document."""
    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException, WebDriverException))


def wait(driver, condition, timeout=15):
    """Waits for `condition`, failing with the page it stopped on."""
    try:
        return settled(driver, timeout).until(condition)
    except Exception:
        raise AssertionError(f"timed out on {driver.current_url}: {driver.page_source[:600]!r}")


def test_console_insights(driver, base, data_dir):
    """The metrics page (server-drawn charts, each one titled image with its
    figures in a table), the annual report and the on-call page pass axe;
    the keyboard reaches the console's navigation; countdowns tick."""
    console_sign_in(driver, base, TOKEN)
    driver.get(f"{base}/console/metrics")
    wait(driver, EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Metrics"))
    charts = driver.find_elements(By.CSS_SELECTOR, "figure svg[role=img]")
    assert charts, "no chart on the metrics page"
    for svg in charts:
        title = svg.find_element(By.TAG_NAME, "title").get_attribute("textContent")
        assert title and svg.get_attribute("aria-labelledby"), "a chart without its title"
    assert driver.find_elements(By.CSS_SELECTOR, "main table tbody tr"), "no figures table"
    axe_check(driver, "metrics")
    driver.set_window_size(1400, 1000)
    driver.save_screenshot(os.path.join(SHOTS, "console-metrics.png"))
    driver.get(f"{base}/console/metrics?by=fortnight")
    wait(driver, EC.presence_of_element_located((By.ID, "metrics-error")))
    axe_check(driver, "metrics with a refused range")
    year = time.gmtime().tm_year
    driver.get(f"{base}/console/metrics/annual?year={year}")
    wait(driver, EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), f"report {year}"))
    axe_check(driver, "annual report")
    driver.get(f"{base}/console/oncall?tz=Europe/Berlin")
    wait(driver, EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "On call"))
    assert driver.find_element(By.ID, "o-tz").get_attribute("value") == "Europe/Berlin"
    axe_check(driver, "on-call")
    driver.get(f"{base}/console/oncall?tz=Mars/Olympus")
    wait(driver, EC.presence_of_element_located((By.ID, "zone-error")))
    axe_check(driver, "on-call with a refused zone")

    # Keyboard only: Tab from the top of the page reaches the navigation.
    driver.get(f"{base}/console")
    wait(driver, EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Incidents"))
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    reached = []
    for _ in range(8):
        el = driver.switch_to.active_element
        reached.append(el.text)
        if el.text == "Metrics":
            break
        el.send_keys(Keys.TAB)
    assert "On call" in reached and reached[-1] == "Metrics", f"Tab went through {reached}"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait(driver, EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Metrics"))

    # With JavaScript on, a countdown follows the clock: one moved to 90 s
    # from now reads "in 2 min" within a tick.
    driver.get(f"{base}/console")
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "[data-due]")))
    driver.execute_script(
        "const el = document.querySelector('[data-due]');"
        "el.setAttribute('data-due', new Date(Date.now() + 90000).toISOString()); el.id = 'ticking';")
    wait(driver, EC.text_to_be_present_in_element((By.ID, "ticking"), "in 2 min"))


def main():
    binary = sys.argv[1]
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        proc = start_klaxon(binary, data_dir, port)
        driver = browser()
        passed = failed = 0
        try:
            for test in (test_submit_and_see_reference, test_errors_beside_fields, test_page_ack_link_in_browser,
                         test_console_commander_works_an_incident, test_console_viewer_has_no_buttons,
                         test_console_insights):
                try:
                    test(driver, f"http://127.0.0.1:{port}", data_dir)
                    print(f"browser {test.__name__} ... ok")
                    passed += 1
                except Exception as e:  # report every failure, then fail the run
                    print(f"browser {test.__name__} ... FAILED: {type(e).__name__}: {e}\n{traceback.format_exc()}")
                    failed += 1
        finally:
            driver.quit()
            proc.kill()
            proc.wait()
    print(f"browser: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

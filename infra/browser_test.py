"""The report form in a real headless Chromium, as a reporter uses it.

Started by infra/test.sh after the Rust tests: runs the `klaxon` binary on a
free loopback port, fills in the form with the keyboard and mouse, submits
it, and checks the thank-you page shows a reference the API knows. Then it
submits an empty form and checks the error sits next to its field. Last, a
critical report pages on-call: the page's ack link, opened in the browser
and confirmed, acknowledges the incident.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

TOKEN = "browser-test-token-0123456789"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_klaxon(binary, data_dir, port):
    env = dict(os.environ)
    env["KLAXON_API_TOKENS"] = f"browser:viewer:{TOKEN}"
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
    reference = WebDriverWait(driver, 15).until(EC.presence_of_element_located((By.ID, "reference"))).text.strip()
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
    error = WebDriverWait(driver, 15).until(EC.presence_of_element_located((By.ID, "title-error")))
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
    button = WebDriverWait(driver, 15).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "button[type=submit]")))
    assert "Acknowledge as oncall-primary" in button.text, button.text
    button.click()
    heading = WebDriverWait(driver, 15).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Acknowledged"))
    assert heading
    incident = json.load(urllib.request.urlopen(urllib.request.Request(
        f"{base}/api/v1/incidents/{accepted['incident_id']}", headers={"Authorization": f"Bearer {TOKEN}"})))
    ack = incident["incident"]["acknowledged"]
    assert ack["via"] == "page link" and ack["by"] == "oncall-primary", ack
    assert incident["incident"]["status"] == "acknowledged", incident["incident"]["status"]
    assert incident["incident"]["paging"].get("next_at") is None, "paging stopped"


def main():
    binary = sys.argv[1]
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        proc = start_klaxon(binary, data_dir, port)
        driver = browser()
        passed = failed = 0
        try:
            for test in (test_submit_and_see_reference, test_errors_beside_fields, test_page_ack_link_in_browser):
                try:
                    test(driver, f"http://127.0.0.1:{port}", data_dir)
                    print(f"browser {test.__name__} ... ok")
                    passed += 1
                except Exception as e:  # report every failure, then fail the run
                    print(f"browser {test.__name__} ... FAILED: {e!r}")
                    failed += 1
        finally:
            driver.quit()
            proc.kill()
            proc.wait()
    print(f"browser: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

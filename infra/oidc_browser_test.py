"""The console's OpenID Connect sign-in in a real headless Chromium, against
a real OpenID provider: oidc-provider (infra/oidc, pinned by its lock file)
on loopback, with one public client (PKCE required) whose redirect URI is
the console's callback.

Started by infra/test.sh after infra/browser_test.py: runs the provider and
`klaxon serve` on free loopback ports, then signs in through the provider's
own login and consent pages as a responder (sees the incidents, acknowledges
one; the session cookie is HttpOnly and SameSite=Strict), as a viewer (no
buttons, a forced post is 403) and as an account with no Klaxon role (403).
A tampered state, and a callback replayed after its sign-in, are refused.
axe-core checks the sign-in page and each refusal.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import browser_test as bt  # noqa: E402  (its helpers: ports, axe, the API, drills)

PROVIDER = os.path.join(HERE, "oidc", "provider.mjs")
# Every code, state, sign-in cookie and session id the run saw: none may be
# in the server's log or its data directory afterwards.
SEEN = set()


def start_provider(port, callback):
    proc = subprocess.Popen(["node", PROVIDER, str(port), callback],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/.well-known/openid-configuration"
    for _ in range(200):
        try:
            urllib.request.urlopen(url, timeout=1)
            return proc
        except Exception:
            time.sleep(0.05)
    proc.kill()
    sys.exit("the OpenID provider did not start")


def browser():
    """browser_test's Chromium, with the network log on (to read the callback's URL)."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage",
    ]:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tempfile.mkdtemp()}")
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=opts)


def callbacks_seen(driver):
    """The console callback URLs the browser requested since the last call."""
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            if "/console/oidc/callback" in url:
                urls.append(url)
    return urls


def provider_sign_in(driver, base, account):
    """From the console's sign-in page through the provider's login and consent."""
    driver.delete_all_cookies()
    driver.get(f"{base}/console")
    link = bt.settled(driver).until(EC.presence_of_element_located((By.PARTIAL_LINK_TEXT, "Sign in with")))
    assert "Test IdP" in link.text, link.text
    link.click()
    login = bt.settled(driver).until(EC.presence_of_element_located((By.NAME, "login")))
    # Its path is /console/oidc, so only the browser's whole jar shows it here.
    jar = driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]
    pending = [c for c in jar if c["name"] == "klaxon_oidc"]
    assert pending and pending[0]["httpOnly"] and pending[0]["sameSite"] == "Lax", pending
    SEEN.update(c["value"] for c in pending)
    login.send_keys(account)
    driver.find_element(By.NAME, "password").send_keys("any password")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # The consent page (first sign-in of this account in this browser), then back to the console.
    for _ in range(150):
        if f"{base}/console" in driver.current_url:
            return
        try:
            buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, "button[type=submit]") if "Continue" in b.text]
            if buttons:
                buttons[0].click()
                return
        except (StaleElementReferenceException, WebDriverException):
            # The login page's button, read as the browser moved on to the next page
            # (Chrome may say "node no longer in the document" instead of stale).
            pass
        time.sleep(0.1)
    raise AssertionError(f"stuck at the provider: {driver.current_url}")


def test_responder_signs_in_and_acts(driver, base):
    reference = bt.drill(base, "OIDC responder's drill")
    driver.get(base + "/console/sign-in")
    bt.settled(driver).until(EC.presence_of_element_located((By.PARTIAL_LINK_TEXT, "Sign in with")))
    bt.axe_check(driver, "sign-in with a provider")
    callbacks_seen(driver)
    provider_sign_in(driver, base, "ana")
    bt.settled(driver).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Incidents"))
    assert "ana@example.com" in driver.page_source, "the console does not name the signed-in account"
    session = [c for c in driver.get_cookies() if c["name"] == "klaxon_session"]
    assert session and session[0]["httpOnly"] and session[0].get("sameSite") == "Strict", session
    assert not [c for c in driver.get_cookies() if c["name"] == "klaxon_oidc"], "the sign-in cookie outlived its callback"
    seen = callbacks_seen(driver)
    assert seen, "no callback was seen"
    for url in seen:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        SEEN.update(query.get("code", []) + query.get("state", []))
    SEEN.update(c["value"] for c in session)
    driver.get(f"{base}/console/incidents/{reference}")
    bt.settled(driver).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), reference))
    note = driver.find_element(By.ID, "ack-note")
    note.send_keys("on it, via OIDC")
    note.send_keys(Keys.ENTER)
    bt.settled(driver).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.summary"), "Acknowledged."))
    ack = bt.api(base, "GET", f"/api/v1/incidents/{reference}")["incident"].get("acknowledged")
    assert ack and "ana@example.com" in json.dumps(ack), ack

    # Replayed: the same callback again, its sign-in cookie gone.
    driver.get(seen[-1])
    bt.settled(driver).until(EC.presence_of_element_located((By.ID, "token-error")))
    assert "expired or was already used" in driver.page_source
    bt.axe_check(driver, "a replayed callback")
    # Replayed into a new sign-in of this browser (signed out at the
    # provider, so it waits at its login page): its state is another's.
    driver.delete_all_cookies()
    driver.get(f"{base}/console/oidc/start")
    bt.settled(driver).until(EC.presence_of_element_located((By.NAME, "login")))
    driver.get(seen[-1])
    bt.settled(driver).until(EC.presence_of_element_located((By.ID, "token-error")))
    assert "state does not match" in driver.page_source, driver.page_source[:800]
    # Nothing of the URL is repeated on the page.
    code = seen[-1].split("code=")[1].split("&")[0]
    assert code not in driver.page_source


def test_tampered_state_is_refused(driver, base):
    driver.delete_all_cookies()
    driver.get(f"{base}/console/oidc/start")
    bt.settled(driver).until(EC.presence_of_element_located((By.NAME, "login")))
    driver.get(f"{base}/console/oidc/callback?code=forged-code-123&state=forged-state-456")
    bt.settled(driver).until(EC.presence_of_element_located((By.ID, "token-error")))
    assert "state does not match" in driver.page_source
    assert "forged-code-123" not in driver.page_source and "forged-state-456" not in driver.page_source
    bt.axe_check(driver, "a tampered state")


def test_viewer_has_no_buttons(driver, base):
    reference = bt.drill(base, "OIDC viewer's drill")
    provider_sign_in(driver, base, "vic")
    bt.settled(driver).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Incidents"))
    driver.get(f"{base}/console/incidents/{reference}")
    bt.settled(driver).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), reference))
    buttons = [b.text for b in driver.find_elements(By.CSS_SELECTOR, "main button")]
    assert buttons == [], f"a viewer sees buttons: {buttons}"
    csrf = driver.find_element(By.CSS_SELECTOR, "header input[name=_csrf]").get_attribute("value")
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


def test_no_role_is_refused(driver, base):
    provider_sign_in(driver, base, "nobody")
    bt.settled(driver).until(EC.presence_of_element_located((By.ID, "token-error")))
    assert "no Klaxon role" in driver.page_source
    assert not [c for c in driver.get_cookies() if c["name"] == "klaxon_session"]


def start_klaxon(binary, data_dir, port, log):
    """browser_test's `klaxon serve`, its log kept for the scan."""
    env = dict(os.environ)
    env["KLAXON_API_TOKENS"] = f"browser:viewer:{bt.TOKEN},ic:commander:{bt.COMMANDER}"
    env["RUST_LOG"] = "info,klaxon_core=debug,klaxon=debug"
    proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except Exception:
            time.sleep(0.05)
    proc.kill()
    sys.exit("klaxon serve did not start")


def scan(paths):
    """The planted values found in the files under `paths`."""
    found = []
    for root in paths:
        walk = [(os.path.dirname(root), [], [os.path.basename(root)])] if os.path.isfile(root) else os.walk(root)
        for d, _, files in walk:
            for name in files:
                path = os.path.join(d, name)
                with open(path, "rb") as f:
                    data = f.read()
                found += [f"{path}: {v[:6]}…" for v in SEEN if v and v.encode() in data]
    return found


def main():
    binary = sys.argv[1]
    idp_port, port = bt.free_port(), bt.free_port()
    base = f"http://127.0.0.1:{port}"
    idp = start_provider(idp_port, f"{base}/console/oidc/callback")
    os.environ["KLAXON_OIDC_ISSUER"] = f"http://127.0.0.1:{idp_port}"
    os.environ["KLAXON_OIDC_CLIENT_ID"] = "klaxon-console"
    os.environ["KLAXON_OIDC_NAME"] = "Test IdP"
    passed = failed = 0
    with tempfile.TemporaryDirectory() as data_dir, tempfile.NamedTemporaryFile(suffix=".log") as log:
        proc = start_klaxon(binary, data_dir, port, log)
        driver = browser()
        try:
            for test in (test_responder_signs_in_and_acts, test_tampered_state_is_refused,
                         test_viewer_has_no_buttons, test_no_role_is_refused):
                try:
                    test(driver, base)
                    print(f"oidc browser {test.__name__} ... ok")
                    passed += 1
                except Exception as e:  # report every failure, then fail the run
                    print(f"oidc browser {test.__name__} ... FAILED: {type(e).__name__}: {e}\n{traceback.format_exc()}")
                    failed += 1
        finally:
            driver.quit()
            proc.kill()
            proc.wait()
            idp.kill()
            idp.wait()
        assert len(SEEN) >= 4, f"the run saw too few values to scan for: {len(SEEN)}"
        leaks = scan([data_dir, log.name])
        if leaks:
            print(f"oidc browser: a code, state or cookie is stored or logged: {leaks}")
            failed += 1
        else:
            print(f"oidc browser: none of {len(SEEN)} codes, states and cookies is in the log or the data directory")
    print(f"oidc browser: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

"""What the browser tests share: a headless Chromium, numbered checks that stop at the first failure, waiting for a
form's next page, the sideways-scrolling check and screenshots. ZT_URL names the daemon, ZT_SHOTS where screenshots go.
"""
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

URL = os.environ["ZT_URL"].rstrip("/")
SHOTS = os.environ.get("ZT_SHOTS", "")
_checks = 0


def check(condition, what, seen=""):
    """One numbered check: prints it, or the failure with what was seen and exits 1."""
    global _checks
    if not condition:
        print(f"FAIL {what}: {seen}", flush=True)
        sys.exit(1)
    _checks += 1
    print(f"ok {what}", flush=True)


def passed():
    print(f"passed {_checks} checks", flush=True)


def browser():
    """Headless Chromium at 1280x900 (phones are emulated with phone())."""
    options = Options()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=zh-CN"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(20)
    return driver


def phone(driver, width=390, height=844):
    """Headless Chrome makes no window narrower than about 500 px: a phone's width is emulated."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})


def desktop(driver):
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def shot(driver, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        driver.save_screenshot(os.path.join(SHOTS, name + ".png"))


def path(driver):
    return driver.current_url[len(URL):] if driver.current_url.startswith(URL) else driver.current_url


def main_text(driver):
    return driver.find_element(By.TAG_NAME, "main").text


def submit(driver, selector, then):
    """Clicks `selector` and waits (10 s at most) until the page it leads to satisfies `then`: a click returns
    before the browser has followed the form."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    try:
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.TAG_NAME, "html") != old and then(d))
    except Exception:
        pass


def fits(driver, page):
    wide = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    check(wide[0] <= wide[1], f"{page}: no sideways scrolling at {wide[1]} px", f"content {wide[0]} px wide")

#!/usr/bin/env python3
"""Opens the public verification page for documents in every state, in headless Chromium at 390x844 and 1280x900,
checks the words a clerk holding the paper relies on, and saves a screenshot of each.

Input (stdin): a JSON list of {"name", "path", "expect": [texts], "absent": [texts]}. Environment: ZT_URL, ZT_SHOTS.
Prints one line per check; exits 1 on the first failure.
"""
import json
import os
import sys

from selenium.webdriver.common.by import By

from pagecheck import SHOTS, URL, browser, check, desktop, passed, phone


def main():
    cases = json.load(sys.stdin)
    driver = browser()
    try:
        for width, label in [(390, "phone"), (1280, "desktop")]:
            if width == 390:
                phone(driver)
            else:
                desktop(driver)
            for case in cases:
                driver.get(URL + case["path"])
                text = driver.find_element(By.TAG_NAME, "body").text
                for expected in case["expect"]:
                    check(expected in text, f"{case['name']} ({label}) shows {expected}", text[:600])
                for absent in case.get("absent", []):
                    check(absent not in text, f"{case['name']} ({label}) does not show {absent}", text[:600])
                banner = driver.find_element(By.CSS_SELECTOR, ".banner")
                check(banner.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)", f"{case['name']} ({label}): the style sheet applies")
                wide = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
                check(wide[0] <= wide[1], f"{case['name']} ({label}): no sideways scrolling", str(wide))
                if SHOTS:
                    os.makedirs(SHOTS, exist_ok=True)
                    driver.save_screenshot(os.path.join(SHOTS, f"verify-{case['name']}-{label}.png"))
    finally:
        driver.quit()
    passed()


if __name__ == "__main__":
    main()

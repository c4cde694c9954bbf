"""Staff in a real browser: Debian's chromium driven by chromium-driver through Selenium, for the
workbench tests and the end-to-end loops (kiosk GUI and back office together).

With KIOSK_GALLERY set (`bash scripts/dev screens`) `shot` keeps a page there as a PNG.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
MISSING = None in (CHROMIUM, DRIVER)
WHY_MISSING = "apt-get install chromium chromium-driver"
GALLERY = os.environ.get("KIOSK_GALLERY")


@contextmanager
def chromium(profile: Path, width: int = 1366, height: int = 900):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", f"--window-size={width},{height}", "--lang=zh-CN",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


def log_in(driver, base: str, name: str, password: str) -> None:
    """Log in on the workbench's login page (logging out whoever was logged in first), and wait
    for the page it leads to: a page asked for before that would find no session yet."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    driver.delete_all_cookies()
    driver.get(base + "/workbench/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    press(driver, "login")
    WebDriverWait(driver, 15).until(lambda d: "/login" not in d.current_url, f"{name} logged in")


def shot(driver, name: str) -> None:
    if GALLERY:
        width = driver.get_window_size()["width"]
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, max(900, height + 140))
        Path(GALLERY).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(GALLERY) / name))
        driver.set_window_size(width, 900)


def press(driver, element_id: str) -> None:
    from selenium.webdriver.common.by import By
    button = driver.find_element(By.ID, element_id)
    driver.execute_script("arguments[0].scrollIntoView()", button)
    button.click()


def reaches(driver, expected: str) -> bool:
    """Whether the page's status becomes `expected` (the press's page may still be loading)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(driver, 15, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)).until(
        lambda d: d.find_element(By.ID, "status").text == expected, f"status {expected}")
    return True


def absent(driver, css: str) -> bool:
    from selenium.webdriver.common.by import By
    driver.implicitly_wait(0)
    try:
        return driver.find_elements(By.CSS_SELECTOR, css) == []
    finally:
        driver.implicitly_wait(5)

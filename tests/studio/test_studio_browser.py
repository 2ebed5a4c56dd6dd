"""End to end in headless Chromium: `duelo studio` started as a user starts it, the runs page, a click into a run,
an image drawn for a chosen seed and class (the pixels of `duelo sample`'s PNG), rows drawn with a condition, a
piece of music drawn (its piano roll and its audio preview shown, its MIDI offered), a job started from the jobs
page's form and followed on its page to its end.

Needs Debian's chromium and chromium-driver and the selenium package (the `test` extra); `make test` installs
the browser when it runs as root with apt-get. Without them the test is skipped, saying what is missing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from duelo.cli.main import main

pytestmark = pytest.mark.slow

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _browser() -> tuple[str, str]:
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("the selenium package is not installed (pip install -e '.[test]')")
    binary = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        pytest.skip("headless Chromium is not installed: apt-get install chromium chromium-driver "
                    "(make test does it when run as root)")
    return binary, driver


@pytest.fixture
def studio_process(studio_runs, media_runs):
    """`duelo studio --port 0` over two folders of runs in its own process; yields its URL."""
    process = subprocess.Popen([sys.executable, "-m", "duelo", "studio", "--runs", str(studio_runs),
                                "--runs", str(media_runs), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("duelo studio on http://127.0.0.1:"), line + process.stderr.read()
        yield line.split()[3]
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def browser(monkeypatch):
    binary, driver_path = _browser()
    # the driver is named, so Selenium Manager (which would look for drivers online) never runs; its usage
    # reporting is switched off all the same: a test talks to loopback only
    monkeypatch.setenv("SE_AVOID_STATS", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-extensions", "--no-first-run", "--window-size=1200,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_script_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


def _shown_pixels(driver, element_id: str) -> list[list[int]]:
    """The RGB pixels an <img> shows, read back through a canvas inside the page."""
    return driver.execute_script("""
        const image = document.getElementById(arguments[0]);
        const canvas = document.createElement("canvas");
        canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
        const context = canvas.getContext("2d");
        context.drawImage(image, 0, 0);
        const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
        const pixels = [];
        for (let i = 0; i < data.length; i += 4) pixels.push([data[i], data[i + 1], data[i + 2]]);
        return pixels;""", element_id)


def test_a_person_draws_a_sample_and_a_table_from_the_browser(studio_process, browser, studio_runs, tmp_path: Path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import Select, WebDriverWait

    # a look-up while a clicked link or a submitted form is still loading its page can be "aborted by navigation":
    # such a look-up is tried again, and a page that never shows what is waited for still fails (a timeout)
    wait = WebDriverWait(browser, 20, ignored_exceptions=(WebDriverException,))
    browser.get(studio_process)
    assert browser.title.startswith("runs")
    browser.find_element(By.LINK_TEXT, "0/digits").click()
    wait.until(shown.presence_of_element_located((By.ID, "sample-form")))
    assert browser.find_element(By.ID, "status").text == "finished"
    assert browser.find_elements(By.CSS_SELECTOR, "#losses polyline")                   # the loss curves

    seed = browser.find_element(By.ID, "seed")
    seed.clear()
    seed.send_keys("5")
    Select(browser.find_element(By.ID, "label")).select_by_value("3")
    browser.find_element(By.ID, "draw").click()
    image = wait.until(shown.visibility_of_element_located((By.ID, "sample")))
    wait.until(lambda _: browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image))
    assert browser.execute_script("return arguments[0].naturalWidth", image) == 8            # the run's resolution
    assert main(["sample", str(studio_runs / "digits"), "--seeds", "5", "--label", "3", "--no-grid",
                 "--out", str(tmp_path)]) == 0
    expected = Image.open(tmp_path / "seed000005-class3.png").convert("RGB")
    assert _shown_pixels(browser, "sample") == np.asarray(expected).reshape(-1, 3).tolist()

    browser.get(studio_process)
    browser.find_element(By.LINK_TEXT, "0/table").click()
    Select(wait.until(shown.presence_of_element_located((By.NAME, "condition")))).select_by_value("group=c")
    browser.find_element(By.ID, "draw-rows").click()
    wait.until(lambda _: browser.find_element(By.ID, "table-rows").text.strip())
    lines = browser.find_element(By.ID, "table-rows").text.strip().splitlines()
    assert lines[0] == "group,value,count" and len(lines) == 21 and all(row.startswith("c,") for row in lines[1:])

    browser.get(studio_process)
    browser.find_element(By.LINK_TEXT, "1/chorale").click()
    Select(wait.until(shown.presence_of_element_located((By.NAME, "label")))).select_by_visible_text("minor")
    browser.find_element(By.ID, "draw-sequence").click()
    roll = wait.until(shown.visibility_of_element_located((By.ID, "sequence-image")))
    wait.until(lambda _: browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", roll))
    assert browser.execute_script("return arguments[0].naturalHeight", roll) == 56 + 4         # pitches + padding
    player = wait.until(shown.visibility_of_element_located((By.ID, "sequence-audio")))
    assert player.get_attribute("src").startswith("blob:")
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#sequence-downloads a")]
    assert [link.rsplit("as=", 1)[1] for link in links] == ["png", "wav", "mid", "musicxml"]
    assert "label=1" in links[0] and "seed=0" in links[0]

    browser.get(studio_process + "jobs")
    form = browser.find_element(By.CSS_SELECTOR, 'form[data-job="fetch"]')
    form.find_element(By.NAME, "dataset").send_keys("digits")
    form.find_element(By.TAG_NAME, "button").click()
    wait.until(shown.presence_of_element_located((By.ID, "job")))
    assert "duelo datasets fetch digits" in browser.find_element(By.TAG_NAME, "code").text
    wait.until(lambda _: browser.find_element(By.ID, "job-status").text != "running")
    assert browser.find_element(By.ID, "job-status").text == "finished"
    assert "nothing to fetch" in browser.find_element(By.ID, "job-log").text

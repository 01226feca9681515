"""The web page in a real browser: Debian's headless Chromium driven by Selenium (no browser is downloaded: the
installed chromium and chromedriver are named), typing a sentence and reading the translation from the page."""
import os
import shutil
import urllib.request
from pathlib import Path

import pytest

from tests.serve_server import post_json, running_server

webdriver = pytest.importorskip("selenium.webdriver")
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1100,620"]


@pytest.fixture
def browser(tmp_path):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


def test_typing_a_sentence_shows_its_translation(tiny_run, browser, tmp_path):
    from selenium.webdriver.support.ui import Select, WebDriverWait

    sentence = "the cat sees a dog ."
    with running_server(*tiny_run) as url:
        status, answer = post_json(url + "/translate", {"q": sentence, "source": "en", "target": "fr"})
        assert status == 200
        browser.get(url + "/")
        wait = WebDriverWait(browser, 30)
        wait.until(lambda page: page.find_element("id", "target").get_attribute("value") == "fr")
        assert Select(browser.find_element("id", "source")).first_selected_option.text == "English"
        assert f"Run {tiny_run[1]}" in browser.find_element("id", "model").text
        browser.find_element("id", "input").send_keys(sentence)
        wait.until(lambda page: page.find_element("id", "output").text.strip())
        assert browser.find_element("id", "output").text == answer["translatedText"].strip()
        assert browser.find_element("id", "status").text == ""
        # The screenshot docs/serve-page.png shows: UNMT_SCREENSHOT names where to keep it.
        screenshot = Path(os.environ.get("UNMT_SCREENSHOT", tmp_path / "page.png"))
        assert browser.save_screenshot(str(screenshot))
        assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with urllib.request.urlopen(url + "/metrics") as response:  # the page's own requests went through the API
            assert 'path="/languages",status="200"' in response.read().decode()

"""The chat page in a real headless Chromium, with the real bot behind the emulator: a
resident starts the bot, consents by pressing a button (the notice is edited, a reply
follows), sends a voice note the browser can play; then the admin runs a command from the
"/" menu. No JavaScript error may reach the console.

Debian's chromium and chromium-driver are used as they are (no Selenium Manager download);
without them the test skips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.demo_web import WebDemo
from tgemu.oggopus import silent_voice

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        pytest.skip(
            f"no headless browser: {', '.join(missing)} missing (apt-get install "
            "chromium chromium-driver)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=420,900",
        "--autoplay-policy=no-user-gesture-required",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _bubbles(driver: WebDriver, who: str) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, f"#chat .row.{who} .bubble")


def _bot_says(driver: WebDriver, words: str) -> WebElement | None:
    return next((b for b in _bubbles(driver, "bot") if words in b.text), None)


def _menu(driver: WebDriver) -> list[str]:
    """The commands the "/" menu shows now (none while it is closed)."""
    if not driver.find_element(By.ID, "menu").is_displayed():
        return []
    return [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#menu .cmd-name")]


def _type_and_send(driver: WebDriver, text: str) -> None:
    box = driver.find_element(By.ID, "text")
    box.clear()
    box.send_keys(text)
    driver.find_element(By.ID, "send-button").click()


def test_resident_and_admin_chat_with_the_real_bot(
    browser: WebDriver, web_demo_running: WebDemo, tmp_path: Path
) -> None:
    # Bubbles are replaced when the bot edits them: a stale one is looked up again.
    wait = WebDriverWait(
        browser, 15, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)
    )
    browser.get(web_demo_running.url)
    wait.until(lambda d: d.find_element(By.ID, "bot-name").text == "渝事好商量")
    picked = Select(browser.find_element(By.ID, "user-select")).first_selected_option
    assert picked.text == "王阿姨 · 居民"
    wait.until(lambda d: d.find_element(By.ID, "start").is_displayed())  # an empty chat

    # The resident types /start: the privacy notice comes with its buttons.
    _type_and_send(browser, "/start")
    notice = wait.until(lambda d: _bot_says(d, "隐私说明"))
    assert not browser.find_element(By.ID, "start").is_displayed()
    assert notice.find_element(By.CSS_SELECTOR, ".text b").text.startswith("渝事好商量")
    agree = next(b for b in notice.find_elements(By.CSS_SELECTOR, ".inline button"))
    assert agree.text == "✅ 同意"
    agree.click()
    # The notice is edited in place (marked, buttons gone) and a reply follows.
    wait.until(lambda d: (n := _bot_says(d, "隐私说明")) and "已编辑" in n.text)
    edited = _bot_says(browser, "隐私说明")
    assert edited is not None and not edited.find_elements(By.CSS_SELECTOR, ".inline button")
    wait.until(lambda d: _bot_says(d, "谢谢"))

    # A voice note from a file: it reaches the bot and the page can play it.
    recording = tmp_path / "语音.ogg"
    recording.write_bytes(silent_voice(2.0))
    browser.find_element(By.ID, "voice-input").send_keys(str(recording))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#chat .row.mine audio"))
    seconds: Any = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const audio = document.querySelector("#chat .row.mine audio");
        if (audio.readyState >= 1) return done(audio.duration);
        audio.addEventListener("loadedmetadata", () => done(audio.duration));
        audio.addEventListener("error", () => done("error " + audio.error.code));
        """
    )
    assert seconds == pytest.approx(2.0, abs=0.05)  # Chromium decoded the Ogg/Opus header

    # The admin: their own history (the grant), their own menu, and a command from it.
    Select(browser.find_element(By.ID, "user-select")).select_by_visible_text(
        "区政协办公室 · 管理员"
    )
    wait.until(lambda d: _bot_says(d, "现在是委员"))
    assert _bot_says(browser, "谢谢") is None  # the resident's chat is gone from view
    browser.find_element(By.ID, "text").send_keys("/ro")
    wait.until(lambda d: _menu(d) == ["/roles"])  # typing "/" filters the bot's menu
    browser.find_element(By.CSS_SELECTOR, "#menu button").click()
    roles = wait.until(lambda d: _bot_says(d, "管理员和委员"))
    assert roles.find_element(By.CSS_SELECTOR, ".text b").text == "管理员和委员"
    assert "20000002" in [code.text for code in roles.find_elements(By.CSS_SELECTOR, "code")]
    browser.find_element(By.ID, "menu-button").click()
    everything = wait.until(lambda d: _menu(d) if len(_menu(d)) > 1 else None)
    assert "/grant" in everything and "/roles" in everything  # the admin's menu

    problems = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert problems == []

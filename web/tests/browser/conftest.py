"""A real browser (Debian's Chromium, driven by Playwright) against pytest-django's live server.

One Chromium per test session; each user of a test gets their own browser context (cookies),
so several people can be signed in side by side. Every page fails the test on a JavaScript
error, a console error or a 5xx answer; the only console errors allowed are the "Failed to load
resource" lines of 4xx answers a test declares it expects (e.g. the 422 of a form with errors).

The console's HTMX round trips are timed in the page (click → htmx:afterSettle) and written to
artifacts/console_roundtrip.json at the end of the session; screenshots go to
artifacts/screenshots/<language>/<page>.png. Both folders are .gitignored.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import ViewportSize

CHROMIUM = os.environ.get("CUAKHAU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking"]
ARTIFACTS = Path(settings.BASE_DIR) / "artifacts"
DESKTOP = ViewportSize(width=1280, height=900)
PHONE = ViewportSize(width=390, height=844)
PASSWORD = "demo12345"

# Installed in every page before its own scripts: times each HTMX request from the click that
# caused it (or from htmx:beforeRequest when no click did) to the swap and to the settle.
ROUNDTRIP_JS = """
(() => {
  window.__roundtrips = [];
  window.__clicks = 0;
  let clickAt = null;
  document.addEventListener("click", () => { clickAt = performance.now(); window.__clicks += 1; }, true);
  document.addEventListener("htmx:beforeRequest", (event) => {
    const now = performance.now();
    // A click's request starts in the click's own task, so a poll can never take the click's time.
    const clicked = clickAt !== null && now - clickAt < 1000;
    event.detail.xhr.__click = clicked ? window.__clicks : 0;
    event.detail.xhr.__t0 = clicked ? clickAt : now;
    clickAt = null;
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    const xhr = event.detail.xhr;
    if (xhr && xhr.__swapped === undefined) { xhr.__swapped = performance.now(); }
  });
  document.addEventListener("htmx:afterSettle", (event) => {
    const xhr = event.detail.xhr;
    if (!xhr || xhr.__t0 === undefined || xhr.__done) { return; }
    xhr.__done = true;
    const now = performance.now();
    // The request's own span (sent → last byte) from Resource Timing, to tell server+network from browser work.
    const entries = performance.getEntriesByName(xhr.responseURL || "");
    const entry = entries.length ? entries[entries.length - 1] : null;
    window.__roundtrips.push({
      request_ms: entry ? entry.responseEnd - entry.startTime : null,
      start_delay_ms: entry ? entry.startTime - xhr.__t0 : null,
      path: event.detail.pathInfo ? event.detail.pathInfo.requestPath : "",
      verb: event.detail.requestConfig ? event.detail.requestConfig.verb : "",
      click: xhr.__click,
      status: xhr.status,
      swap_ms: (xhr.__swapped || now) - xhr.__t0,
      settle_ms: now - xhr.__t0,
    });
  });
})();
"""

FAILED_RESOURCE = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")


def tr(language: str, message: Any, **values: Any) -> str:
    """A catalogue message (a msgid or a lazy translation) in the given language, as the page shows it."""
    with translation.override(language):
        text = translation.gettext(message) if isinstance(message, str) else str(message)
    return text % values if values else text


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    message = (f"Chromium is missing at {CHROMIUM}: the browser tests need Debian's chromium "
               "(apt-get install chromium fonts-noto-cjk; `bash .ci/run` installs it).")
    if _in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    _require_chromium()
    # Playwright's sync API keeps an asyncio loop running in this thread; the test's own ORM calls
    # (fixtures, checks) are synchronous and safe, so Django's async guard is lifted while it runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def roundtrips(request: pytest.FixtureRequest) -> Iterator[list[dict[str, Any]]]:
    """Every console confirm timed in the session; summarised into artifacts/ at the end."""
    samples: list[dict[str, Any]] = []
    yield samples
    if not samples:
        return
    summary = write_roundtrips(samples)
    line = (f"console confirm round trip ({summary['database']}): n={summary['count']} "
            f"median {summary['median_ms']:.1f} ms, p95 {summary['p95_ms']:.1f} ms, max {summary['max_ms']:.1f} ms "
            f"(to swap: median {summary['swap']['median_ms']:.1f} ms) → artifacts/console_roundtrip.json")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # shown even when the test's output is captured
            reporter.write_line(f"\n{line}")
    else:
        print(line)


def write_roundtrips(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Summarise this run's samples into artifacts/console_roundtrip.json. Under pytest-xdist the
    browser tests may be spread over workers (loadgroup does not group them with pytest 9.2,
    pytest-xdist#1386): each worker adds its part under a lock and the summary covers every part
    of the same run."""
    import fcntl

    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", f"local-{os.getpid()}")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    parts = ARTIFACTS / "console_roundtrip.parts"
    parts.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / ".console_roundtrip.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for old in parts.glob("*.json"):
            if not old.name.startswith(f"{run}-"):
                old.unlink()  # an earlier run's
        (parts / f"{run}-{worker}.json").write_text(json.dumps(samples))
        merged = [sample for part in sorted(parts.glob(f"{run}-*.json")) for sample in json.loads(part.read_text())]
        summary = summarise([s["settle_ms"] for s in merged])
        summary["swap"] = summarise([s["swap_ms"] for s in merged])
        summary["database"] = "postgresql" if "postgresql" in settings.DATABASES["default"]["ENGINE"] else "sqlite"
        summary["what"] = ("console confirm round trip in Chromium: click → htmx:afterSettle (includes htmx's "
                           "20 ms settle delay); 'swap' is click → htmx:afterSwap; 'request_ms' the XHR alone")
        summary["samples"] = merged
        (ARTIFACTS / "console_roundtrip.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return summary


def summarise(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    if not ordered:
        return {"count": 0}
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered) + 0.5) - 1))]
    return {"count": len(ordered), "median_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1),
            "max_ms": round(ordered[-1], 1), "min_ms": round(ordered[0], 1)}


@dataclass
class Problems:
    """What went wrong in the pages of one test, and the 4xx answers the test expects."""

    errors: list[str] = field(default_factory=list)
    expected: list[tuple[int, str]] = field(default_factory=list)  # (status, path)
    allowed: list[str] = field(default_factory=list)  # the console lines of those expected answers

    def console(self, message: Any, page_url: str) -> None:
        if message.type != "error":
            return
        text = message.text
        found = FAILED_RESOURCE.search(text)
        url = (message.location or {}).get("url", "")
        if found and (int(found.group(1)), urlsplit(url).path) in self.expected:
            self.allowed.append(text)  # a 4xx the app answers on purpose (an error fragment, a form with errors)
            return
        self.errors.append(f"console error on {page_url}: {text} ({url})")

    def response(self, response: Any) -> None:
        if response.status >= 500:
            self.errors.append(f"HTTP {response.status} for {response.request.method} {response.url}")


CLICKED = "(n) => window.__roundtrips.find((r) => r.click > n) || null"


def clicks(page: Any) -> int:
    return int(page.evaluate("() => window.__clicks"))


def clicked_roundtrip(page: Any, clicks_before: int) -> dict[str, Any]:
    """The timing of the request made by the next click (not of a poll, nor of an earlier search
    whose settle came late: pressing Enter in a form clicks its submit button too)."""
    return dict(page.wait_for_function(CLICKED, arg=clicks_before).json_value())


class Browsing:
    """The pages of one test: one context per user, screenshots, HTMX clicks with their timing."""

    def __init__(self, browser: Any, base_url: str, samples: list[dict[str, Any]]) -> None:
        self.browser = browser
        self.base_url = base_url
        self.samples = samples
        self.problems = Problems()
        self.contexts: list[Any] = []

    # --- pages ---------------------------------------------------------------------------------

    def page(self, viewport: ViewportSize | None = None, **options: Any) -> Any:
        """A page in a fresh context (its own cookies: a new person at a new browser)."""
        context = self.browser.new_context(base_url=self.base_url, viewport=viewport or DESKTOP,
                                           locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **options)
        context.set_default_timeout(15_000)
        context.add_init_script(ROUNDTRIP_JS)
        self.contexts.append(context)
        context.on("page", self._watch)  # every page of the context, also a second tab opened later
        return context.new_page()

    def _watch(self, page: Any) -> None:
        page.on("console", lambda message: self.problems.console(message, page.url))
        page.on("pageerror", lambda error: self.problems.errors.append(f"JavaScript error on {page.url}: {error}"))
        page.on("response", self.problems.response)

    def expect_status(self, status: int, path: str) -> None:
        """Declare a 4xx answer the app gives on purpose, so its console line is not a failure."""
        self.problems.expected.append((status, path))

    def language_of(self, page: Any) -> str:
        return str(page.get_attribute("html", "lang"))

    def switch_language(self, page: Any, language: str) -> None:
        """Through the language menu in the page header (it submits on change)."""
        if self.language_of(page) == language:
            return
        with page.expect_navigation():
            page.select_option("header select[name=language]", language)
        assert self.language_of(page) == language

    def sign_in(self, username: str, language: str, page: Any = None, shot: str = "", pick: bool = True) -> Any:
        """Sign in through the form, then (`pick`) choose the language in the header if the pages are
        not already in it (the choice is saved in the user's profile)."""
        page = page or self.page()
        page.goto("/accounts/login/")
        if shot:
            self.switch_language(page, language)  # also before signing in, for the screenshot
            page.get_by_role("heading", name=tr(language, "Sign in")).wait_for()
            self.screenshot(page, language, shot)
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert "/accounts/login/" not in page.url, f"{username} could not sign in"
        if pick:
            self.switch_language(page, language)
        return page

    def screenshot(self, page: Any, language: str, name: str) -> None:
        folder = ARTIFACTS / "screenshots" / language
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    def phone_screenshot(self, page: Any, language: str, name: str) -> None:
        """The same page on a phone: screenshot it and check nothing is wider than the screen."""
        viewport = page.viewport_size
        page.set_viewport_size(PHONE)
        try:
            width = page.evaluate("document.documentElement.scrollWidth")
            self.screenshot(page, language, name)
        finally:
            page.set_viewport_size(viewport)
        assert width <= PHONE["width"], f"{name}: {width} px wide on a {PHONE['width']} px phone"

    # --- HTMX ----------------------------------------------------------------------------------

    def htmx_click(self, page: Any, target: Any, record: str = "") -> dict[str, Any]:
        """Click something that makes an HTMX request; see `htmx`."""
        return self.htmx(page, target.click, record)

    def htmx(self, page: Any, action: Callable[[], Any], record: str = "", same_url: bool = True) -> dict[str, Any]:
        """Do something (a click, Enter in a form) that makes an HTMX request; wait until its answer
        has settled in the page. Proves the page was not reloaded; returns the timing (kept when
        `record` names it)."""
        marker = secrets.token_hex(8)
        before = page.evaluate("(marker) => { window.__marker = marker; return window.__clicks; }", marker)
        url = page.url
        action()
        timing = clicked_roundtrip(page, before)
        assert page.evaluate("() => window.__marker") == marker, "the page was reloaded"
        if same_url:
            assert page.url == url
        if record:
            self.samples.append({"step": record, **timing})
        return dict(timing)

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()

    def assert_clean(self) -> None:
        errors, self.problems.errors = self.problems.errors, []
        assert not errors, "\n".join(errors)


@pytest.fixture
def browsing(chromium: Any, live_server: Any, roundtrips: list[dict[str, Any]]) -> Iterator[Browsing]:
    session = Browsing(chromium, live_server.url, roundtrips)
    try:
        yield session
    finally:
        session.close()
    session.assert_clean()

"""The quiz embedded on another site, in Chromium with third-party cookies blocked.

The host page is served from 127.0.0.2 on a port of its own: another site than the
live server (localhost), so the frame is a third-party frame.
"""

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from embed.models import EmbedSite
from leads.models import Lead
from tests.browser.conftest import CHROMIUM, assert_accessible
from tests.wizard.conftest import make_questionnaire
from wizard.models import Attempt

__all__ = ["make_questionnaire"]

QUIZ = [[(3, 0), (0, 3)], [(2, 0), (0, 2), (1, 1)], [(1, 0), (0, 1)]]
FRAME_URL = re.compile(r"/embed/quiz/")
# The host records what it hears, as its own analytics would: messages from our origin
# and the DOM events embed.js fires on the embed.
HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A host blog</title>
<style>body {{ margin: 0 }} main {{ padding: 0 }}</style></head>
<body><main><h1>A post on a blog</h1><p><a href="#before">A link before the quiz</a></p>
<div data-certguide="{kind}"{site}>
<a href="{ours}/wizard/">Take the quiz</a></div>
<p><a href="#after">A link after the quiz</a></p>
<script>
window.heard = []; window.domEvents = [];
addEventListener("message", function (e) {{
  if (e.origin === "{ours}" && /^certguide:(quiz|lead)/.test(e.data.type)) heard.push(e.data);
}});
["quiz-started", "quiz-completed", "lead-submitted"].forEach(function (name) {{
  document.addEventListener("certguide:" + name, function (e) {{ domEvents.push(e.detail); }});
}});
</script>
<script src="{ours}/embed.js" async></script></main></body></html>
"""


class HostSite:
    """Another origin's web server with one page per path."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/favicon.ico":
                    self.send_response(204)
                    self.end_headers()
                    return
                body = pages.get(self.path.split("?")[0], "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        self.origin = f"http://127.0.0.2:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def host(live_server) -> Iterator[HostSite]:
    site = HostSite()
    # The button's snippet names no site, like the example: the frame's Referer
    # (the host's origin) finds it.
    for kind, name in (("quiz", ' data-certguide-site="blog"'), ("button", "")):
        site.pages[f"/{kind}.html"] = HOST_PAGE.format(kind=kind, site=name, ours=live_server.url)
    yield site
    site.close()


@pytest.fixture
def strict_page(playwright, problems) -> Iterator:
    """A Chromium that blocks third-party cookies, as Safari and Chrome now do."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--test-third-party-cookie-phaseout"],
    )
    context = browser.new_context(viewport={"width": 800, "height": 900})
    page = context.new_page()
    page.on("console", problems.console)
    page.on("pageerror", problems.page_error)
    page.set_default_timeout(10_000)
    yield page
    context.close()
    browser.close()
    assert problems.messages == [], "\n".join(problems.messages)


def quiz_frame(page):
    page.wait_for_selector("iframe")
    frame = page.frame_locator("iframe").owner.element_handle().content_frame()
    frame.wait_for_load_state()
    return frame


def frame_focus(frame) -> tuple[str, str]:
    """The frame's focused element: its tag and what it reads (a field reads its label)."""
    return tuple(
        frame.evaluate(
            """() => {
              const el = document.activeElement;
              const label = el.labels && el.labels.length ? el.labels[0] : el;
              const text = label.textContent;
              // crispy marks a required field's label with "*"
              return [el.tagName, (text || "").replace("*", "").trim()];
            }"""
        )
    )


def tab_in_frame(page, frame, text: str, *, limit: int = 40) -> None:
    """Tab (on the host page's keyboard) until the frame's focused element reads ``text``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if frame_focus(frame)[1] == text:
            return
    raise AssertionError(f"never reached {text!r} with Tab inside the frame")


def frame_height(page) -> int:
    return page.evaluate("document.querySelector('iframe').getBoundingClientRect().height")


def wait_for_fit(page, frame) -> int:
    """Wait until the frame is as tall as its content (no inner scrollbar); its height."""
    page.wait_for_function(
        "h => Math.abs(document.querySelector('iframe').getBoundingClientRect().height - h) <= 1",
        arg=frame.evaluate("Math.ceil(document.body.getBoundingClientRect().height)"),
    )
    inner = frame.evaluate(
        "document.documentElement.scrollHeight - document.documentElement.clientHeight"
    )
    assert inner <= 0, f"the frame scrolls inside by {inner}px"
    return frame_height(page)


def test_quiz_and_sign_up_complete_inside_the_frame_by_keyboard(
    strict_page, host, live_server, axe, make_questionnaire
):
    page = strict_page
    make_questionnaire(QUIZ)
    EmbedSite.objects.create(origin=host.origin, name="blog")
    page.goto(host.origin + "/quiz.html?utm_source=hostblog&utm_campaign=spring")
    frame = quiz_frame(page)
    assert frame.url.startswith(live_server.url + "/embed/quiz/?")
    # Third-party cookies are really blocked here: the frame cannot even keep its own.
    assert frame.evaluate("document.cookie = 'probe=1'; document.cookie") == ""
    intro_height = wait_for_fit(page, frame)

    tab_in_frame(page, frame, "Start the quiz")
    page.keyboard.press("Enter")
    for number in range(1, len(QUIZ) + 1):
        frame.wait_for_url(re.compile(rf"/step/{number}/"))
        frame.wait_for_selector("h1")
        tab_in_frame(page, frame, f"Answer {number}.1")
        assert frame_focus(frame)[0] == "INPUT"
        page.keyboard.press("Space")
        page.keyboard.press("Enter")

    frame.wait_for_url(re.compile(r"/result/"))
    frame.wait_for_selector("h1")
    result_height = wait_for_fit(page, frame)
    assert result_height > intro_height  # grew with the longer page

    tab_in_frame(page, frame, "Email me the free training materials")
    page.keyboard.press("Enter")
    frame.wait_for_url(re.compile(r"/signup/$"))
    frame.wait_for_selector("h1")
    tab_in_frame(page, frame, "Email address")
    page.keyboard.type("ada@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("Ada")
    page.keyboard.press("Tab")
    assert frame.evaluate("document.activeElement.name") == "consent"
    page.keyboard.press("Space")
    tab_in_frame(page, frame, "Email me the materials")
    page.keyboard.press("Enter")

    frame.wait_for_url(re.compile(r"/signup/sent/"))
    assert frame.locator("h1").inner_text() == "Check your email"
    sent_height = wait_for_fit(page, frame)
    assert sent_height < result_height  # and shrank with the shorter one

    attempt = Attempt.objects.get()
    lead = Lead.objects.get()
    assert (attempt.utm_source, attempt.utm_campaign) == ("hostblog", "spring")
    assert (lead.placement, lead.utm_source, lead.utm_campaign) == (
        "embed:blog",
        "hostblog",
        "spring",
    )
    assert lead.attempt_id == attempt.pk

    heard = page.evaluate("window.heard")
    assert [m["type"] for m in heard] == [
        "certguide:quiz-started",
        "certguide:quiz-completed",
        "certguide:lead-submitted",
    ]
    assert heard[1]["outcome"] == attempt.outcome
    assert page.evaluate("window.domEvents") == heard
    assert "ada" not in json.dumps(heard).lower()  # no personal data goes to the host
    assert page.context.cookies() == []


def test_axe_finds_nothing_inside_the_frame_at_320_and_800(
    strict_page, host, live_server, axe, make_questionnaire
):
    page = strict_page
    make_questionnaire(QUIZ)
    EmbedSite.objects.create(origin=host.origin, name="blog")
    page.goto(host.origin + "/quiz.html")
    frame = quiz_frame(page)
    frame.get_by_role("button", name="Start the quiz").click()
    pages = []
    for number in range(1, len(QUIZ) + 1):
        frame.wait_for_url(re.compile(rf"/step/{number}/"))
        pages.append(frame.url)
        frame.get_by_role("radio").first.check()
        frame.get_by_role("button", name=re.compile("Next|See my result")).click()
    frame.wait_for_url(re.compile(r"/result/"))
    attempt = Attempt.objects.get()
    pages += [frame.url, f"{live_server.url}/embed/quiz/{attempt.pk}/signup/"]
    pages.append(f"{live_server.url}/embed/quiz/{attempt.pk}/signup/sent/")
    for width in (320, 800):
        page.set_viewport_size({"width": width, "height": 900})
        for url in [f"{live_server.url}/embed/quiz/?site=blog", *pages]:
            frame.goto(url)
            frame.wait_for_selector("h1")
            assert frame.evaluate("document.documentElement.clientWidth") <= width
            overflow = frame.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{url} scrolls sideways at {width}px"
            assert_accessible(axe, frame, f"{url} in a {width} px frame")


def test_an_origin_not_on_the_list_is_refused(strict_page, host, live_server, problems):
    page = strict_page
    EmbedSite.objects.create(origin="https://elsewhere.example.com", name="blog")
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as refusal:
        page.goto(host.origin + "/quiz.html")
    assert "https://elsewhere.example.com" in refusal.value.text
    frame = quiz_frame(page)
    # Chromium shows its own error page in the frame: nothing of ours.
    assert frame.url.startswith("chrome-error://")
    assert "Which Scrum certification" not in frame.content()
    # The refusal is the only problem the page reported.
    assert [m for m in problems.messages if "frame-ancestors" not in m] == []
    problems.messages.clear()


def test_the_button_opens_a_dialog_that_traps_and_returns_focus(
    strict_page, host, live_server, make_questionnaire
):
    page = strict_page
    make_questionnaire(QUIZ)
    EmbedSite.objects.create(origin=host.origin, name="blog")
    page.goto(host.origin + "/button.html")
    opener = page.get_by_role("button", name="Take the quiz")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog")
    assert dialog.evaluate("d => d.open")
    assert page.evaluate("document.activeElement.textContent") == "Close"
    frame = quiz_frame(page)
    frame.wait_for_selector("h1")
    # Tab stays in the dialog: the host page's own links behind it are out of reach.
    for _ in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('href')") not in (
            "#before",
            "#after",
        )
    # Escape inside the quiz closes the dialog, and focus goes back to the button.
    tab_in_frame(page, frame, "Start the quiz")
    page.keyboard.press("Escape")
    page.wait_for_function("!document.querySelector('dialog').open")
    assert page.evaluate("document.activeElement.textContent") == "Take the quiz"
    # Opened again, Escape on the host side closes it too.
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('dialog').open")
    page.keyboard.press("Escape")
    page.wait_for_function("!document.querySelector('dialog').open")
    assert page.evaluate("document.activeElement.textContent") == "Take the quiz"


def test_a_german_snippet_frames_the_quiz_in_german(
    strict_page, host, live_server, axe, make_questionnaire
):
    page = strict_page
    make_questionnaire(QUIZ)
    EmbedSite.objects.create(origin=host.origin, name="blog")
    host.pages["/quiz-de.html"] = HOST_PAGE.format(
        kind="quiz",
        site=' data-certguide-site="blog" data-certguide-language="de"',
        ours=live_server.url,
    )
    page.goto(host.origin + "/quiz-de.html")
    frame = quiz_frame(page)

    assert frame.url.startswith(f"{live_server.url}/de/embed/quiz/?site=blog")
    assert page.locator("iframe").get_attribute("title") == (
        "Welche Scrum-Zertifizierung passt zu Ihnen? Ein Quiz"
    )
    assert frame.locator("html").get_attribute("lang") == "de"
    frame.get_by_role("button", name="Quiz starten").click()
    for number in range(1, len(QUIZ) + 1):
        frame.wait_for_url(re.compile(rf"/de/embed/quiz/[0-9a-f-]{{36}}/step/{number}/"))
        frame.get_by_role("radio").first.check()
        frame.get_by_role("button", name=re.compile("Weiter|Mein Ergebnis ansehen")).click()
    frame.wait_for_url(re.compile(r"/de/embed/quiz/[0-9a-f-]{36}/result/"))
    assert frame.locator("h1").inner_text().startswith("Unsere Empfehlung für Sie")
    assert_accessible(axe, frame, "the German result in a frame")

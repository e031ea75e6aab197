"""End to end in real headless Chromium (Debian's, no browser download): log in, approve a
post, find it on the calendar; a viewer cannot approve. Screenshots go to tests/web/artifacts/."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from contentloop.domain import PostState

from .conftest import PASSWORD, Web, make_web

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists(),
                                reason="Debian chromium is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path, clock) -> Iterator[tuple[str, Web]]:  # type: ignore[no-untyped-def]
    web = make_web(f"sqlite:///{tmp_path / 'e2e.db'}", clock)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(web.app(), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", web
    server.should_exit = True
    thread.join(5)
    web.store.close()


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _login(page, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/queue")
    assert "/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/queue")


def test_approver_logs_in_approves_and_sees_it_on_the_calendar(served, browser) -> None:  # type: ignore[no-untyped-def]
    base, web = served
    ARTIFACTS.mkdir(exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1360, "height": 1000})
    page = ctx.new_page()
    page.goto(f"{base}/login")
    page.screenshot(path=str(ARTIFACTS / "01-login.png"))
    _login(page, base, "alice")
    pid = web.posts[0].id
    item = page.locator(f"#q-{pid}")
    assert item.is_visible()
    # previews are real images the browser decoded
    first_img = item.locator(".media img").first
    first_img.wait_for()
    assert page.evaluate("img => img.naturalWidth", first_img.element_handle()) > 100
    page.screenshot(path=str(ARTIFACTS / "02-queue.png"), full_page=True)
    item.locator("button:has-text('Approve this variant')").first.click()
    page.wait_for_url(f"{base}/queue?done=approve")
    assert page.locator(f"#q-{pid}").count() == 0
    assert web.store.get_post(pid).state is PostState.APPROVED
    assert web.repo.audit(post_id=pid)[0].actor == "web:alice"
    page.goto(f"{base}/calendar")
    slot = page.locator(f"a.slot[data-post='{pid}']")
    assert slot.get_attribute("data-state") == "approved"
    assert "approved" in slot.inner_text()
    page.screenshot(path=str(ARTIFACTS / "03-calendar.png"), full_page=True)
    slot.click()
    page.wait_for_url(f"{base}/posts/{pid}")
    assert page.locator("text=web:alice").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "04-post.png"), full_page=True)
    ctx.close()


def test_viewer_cannot_approve(served, browser) -> None:  # type: ignore[no-untyped-def]
    base, web = served
    ARTIFACTS.mkdir(exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1360, "height": 900})
    page = ctx.new_page()
    _login(page, base, "vic")
    assert page.locator("button:has-text('Approve this variant')").count() == 0
    pid = web.posts[0].id
    # even a hand-made form with the viewer's own valid CSRF token is refused
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    page.set_content(
        f"<form method=post action='{base}/posts/{pid}/approve'>"
        f"<input name=csrf_token value='{token}'><button>go</button></form>")
    page.click("button")
    page.wait_for_load_state()
    assert "Not allowed" in page.content() and "viewer" in page.content()
    page.screenshot(path=str(ARTIFACTS / "05-viewer-forbidden.png"))
    assert web.store.get_post(pid).state is PostState.IN_REVIEW
    ctx.close()

"""The front-ends page's "Log in in a popup" block in node, with a browser's few globals
faked (``window.open``, the window's ``message`` listeners, ``setInterval``, ``fetch``): which
messages it takes, what it opens, and that the URL it opens logs in and ends on the popup page
through Django's test client and the fake Wristband. (The block runs as written in Chromium:
``tests/docs/test_browser_popup.py``.)
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.docs.docs_blocks import code
from wristband_django.testing import FakeWristband

NODE = shutil.which("node")
pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(NODE is None, reason="node is not installed (Debian: nodejs)"),
]
PAGE = "http://testserver/orders/42?tab=1"
#: A browser's globals as far as the block uses them. ``input.events`` are then delivered in
#: order: a message (``source`` "popup" or another window) or "close" (the popup closes, and
#: the block's timer fires).
PRELUDE = """
const input = JSON.parse(process.env.POPUP_JS_INPUT);
const sent = [];
const listeners = [];
const timers = [];
const popup = {closed: false};
globalThis.location = new URL(input.location);
globalThis.window = {
  location: {href: input.location},
  open(url, name, features) {
    window.opened = {url, name, features};
    return input.blocked ? null : popup;
  },
  addEventListener(type, listener) { if (type === "message") listeners.push(listener); },
  removeEventListener(type, listener) {
    const at = listeners.indexOf(listener);
    if (at >= 0) listeners.splice(at, 1);
  },
};
globalThis.setInterval = (callback) => timers.push(callback);
globalThis.clearInterval = (id) => { timers[id - 1] = null; };
globalThis.fetch = async (url, options = {}) => {
  sent.push({url, ...options});
  return {ok: true, json: async () => input.session};
};
"""
EPILOGUE = """
const pending = logIn(input.loginUrl);
for (const event of input.events) {
  if (event === "close") {
    popup.closed = true;
    timers.forEach((timer) => timer && timer());
  } else {
    const source = event.source === "popup" ? popup : {};
    listeners.slice().forEach((listener) => listener({...event, source}));
  }
}
const waited = new Promise((resolve) => setTimeout(() => resolve("pending"), 50));
const result = await Promise.race([pending, waited]);
console.log(JSON.stringify({result, opened: window.opened ?? null, href: window.location.href,
                            listening: listeners.length, sent}));
"""
SUCCESS = {"origin": "http://testserver", "source": "popup", "data": {"type": "login_success"}}
SESSION = {"userId": "usr_acme_member", "tenantId": "tnt_acme", "metadata": {}}


def run_block(tmp_path: Path, events: list[Any], **given: Any) -> dict[str, Any]:
    """Run the block, call ``logIn(loginUrl)``, deliver ``events``; what came of it."""
    script = tmp_path / "popup.mjs"
    script.write_text(PRELUDE + code("front-ends:popup") + EPILOGUE)
    inputs = {"location": PAGE, "loginUrl": "/auth/login/?tenant_name=acme", "session": SESSION}
    env = {**os.environ, "POPUP_JS_INPUT": json.dumps({**inputs, "events": events, **given})}
    result = subprocess.run(  # noqa: S603 (node, a script of ours)
        [str(NODE), str(script)], capture_output=True, text=True, timeout=30, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def popup_page_of(client: Client, fake: FakeWristband, login_url: str) -> str:
    """Follow ``login_url`` through the fake Wristband to the page it ends on; its HTML."""
    login = client.get(login_url)
    assert login.status_code == 302
    callback = client.get(fake.authorize(login["Location"], "member@acme.test"))
    assert callback.status_code == 302
    page = client.get(callback["Location"])
    assert page.status_code == 200
    return page.content.decode()


def data_of(page: str) -> dict[str, str]:
    """The popup page's ``data-*`` attributes, unescaped."""
    found = re.findall(r'data-([a-z-]+)="([^"]*)"', page)
    return {name: html.unescape(value) for name, value in found}


def test_it_takes_only_its_popups_message_from_its_own_origin(
    wristband: FakeWristband, tmp_path: Path
) -> None:
    other_origin = {**SUCCESS, "origin": "http://evil.test"}
    other_window = {**SUCCESS, "source": "another window"}
    untyped = {**SUCCESS, "data": "login_success"}
    ran = run_block(tmp_path, [other_origin, other_window, untyped])
    assert ran["result"] == "pending" and ran["listening"] == 1  # still waiting
    ran = run_block(tmp_path, [other_origin, other_window, untyped, SUCCESS])
    assert ran["result"] == SESSION and ran["listening"] == 0
    assert ran["sent"] == [{"url": "/auth/session/", "credentials": "same-origin"}]

    opened = ran["opened"]
    assert opened["name"] == "wristband-login" and "width=" in opened["features"]
    query = parse_qs(urlsplit(opened["url"]).query)
    assert query == {"tenant_name": ["acme"], "popup": ["1"], "return_url": ["/orders/42?tab=1"]}
    page = data_of(popup_page_of(Client(), wristband, opened["url"]))  # what the popup shows
    assert page["message-type"] == "login_success"
    assert page["target-origin"] == SUCCESS["origin"]  # the origin the block accepts
    assert page["return-url"] == "/orders/42?tab=1"


def test_a_popup_closed_without_a_message_or_a_failure_logs_no_one_in(tmp_path: Path) -> None:
    ran = run_block(tmp_path, ["close"])
    assert ran["result"] is None and ran["listening"] == 0 and ran["sent"] == []
    failure = {**SUCCESS, "data": {"type": "login_failure", "error": "login_required"}}
    ran = run_block(tmp_path, [failure])
    assert ran["result"] is None and ran["sent"] == []  # no session to read


def test_a_blocked_popup_logs_in_in_the_window_and_comes_back(
    wristband: FakeWristband, tmp_path: Path
) -> None:
    ran = run_block(tmp_path, [], blocked=True)
    assert ran["result"] is None and ran["listening"] == 0
    assert ran["href"] == ran["opened"]["url"]  # the window itself goes to the login
    page = data_of(popup_page_of(Client(), wristband, ran["href"]))
    assert page["return-url"] == "/orders/42?tab=1"  # where the page goes without an opener

"""The front-ends page's JavaScript runs, and what it sends is what Django accepts.

Each block runs in node with a browser's few globals (``document.cookie``, ``fetch``,
``location``, a form that records its submission), the cookie and the answers being the
real ones from Django's test client; the requests the block makes are then replayed through
the test client: the CSRF header passes, the 401's ``loginUrl`` leads to a login that comes
back to the page, and both logouts log out. (The demo's SPA, which uses the same calls, runs
in Chromium: ``tests/docs/test_browser_spa.py``.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.docs.docs_blocks import code
from tests.support.auth_helpers import log_in
from wristband_django.testing import FakeWristband

NODE = shutil.which("node")
pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(NODE is None, reason="node is not installed (Debian: nodejs)"),
]
#: A browser's globals, as far as the blocks use them; everything sent is recorded.
PRELUDE = """
const input = JSON.parse(process.env.DOCS_JS_INPUT);
const sent = [];
globalThis.location = new URL(input.location);
globalThis.window = {location: {href: input.location}};
globalThis.fetch = async (url, options = {}) => {
  sent.push({fetch: {url, ...options}});
  const {status, type, body} = input.answer;
  return {status, type, json: async () => body};
};
globalThis.document = {
  cookie: input.cookie,
  body: {append() {}},
  createElement(tag) {
    return {tag, children: [], append(...c) { this.children.push(...c); },
      submit() { sent.push({form: {method: this.method, action: this.action,
        fields: Object.fromEntries(this.children.map((c) => [c.name, c.value]))}}); }};
  },
};
"""


def run_js(block: str, call: str, tmp_path: Path, **given: Any) -> dict[str, Any]:
    """Run ``block`` then ``call`` in node; what it sent, where it went, what it returned."""
    script = tmp_path / "block.mjs"
    epilogue = f"\nconst result = await ({call});\n"
    epilogue += "console.log(JSON.stringify({sent, href: window.location.href, result}));\n"
    script.write_text(PRELUDE + block + epilogue)
    inputs = {"location": "http://testserver/orders/42?tab=1", "cookie": "", "answer": {}}
    env = {**os.environ, "DOCS_JS_INPUT": json.dumps({**inputs, **given})}
    result = subprocess.run(  # noqa: S603 (node, a script of ours)
        [str(NODE), str(script)], capture_output=True, text=True, timeout=30, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def strict(client: Client) -> Client:
    """A client with ``client``'s cookies that checks CSRF as a browser's requests are."""
    checked = Client(enforce_csrf_checks=True)
    checked.cookies = client.cookies
    return checked


def test_the_csrf_header_it_sends_passes_djangos_check(logged_in: Client, tmp_path: Path) -> None:
    cookie = f"sessionid=x; csrftoken={logged_in.cookies['csrftoken'].value}"
    ran = run_js(
        code("front-ends:csrf"), "response.status", tmp_path, cookie=cookie, answer={"status": 200}
    )
    (request,) = [entry["fetch"] for entry in ran["sent"]]
    assert (request["url"], request["method"], request["credentials"]) == (
        "/api/orders/",
        "POST",
        "same-origin",
    )
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request["headers"].items()}
    assert strict(logged_in).post("/auth/logout/").status_code == 403  # no header: refused
    assert strict(logged_in).post("/auth/logout/", **headers).status_code == 302


@pytest.mark.wristband_settings(protected_paths=["/api/"])
def test_on_a_401_it_logs_in_again_and_comes_back(wristband: FakeWristband, tmp_path: Path) -> None:
    browser = Client()
    refused = browser.get("/api/orders/")
    assert refused.status_code == 401
    answer = {"status": 401, "body": refused.json()}
    ran = run_js(code("front-ends:api"), 'api("/api/orders/")', tmp_path, answer=answer)
    assert ran["sent"][0]["fetch"]["credentials"] == "same-origin"
    # The tenant, as the page says a front end that knows it adds (else: tenant discovery).
    login = browser.get(f"{ran['href']}&tenant_name=acme")
    assert login.status_code == 302
    landed = browser.get(wristband.authorize(login["Location"], "member@acme.test"))
    assert landed["Location"] == "/orders/42?tab=1"


def test_both_logouts_log_out(wristband: FakeWristband, logged_in: Client, tmp_path: Path) -> None:
    csrf_token_function = code("front-ends:csrf").split("\n\n")[0]  # the block it builds on
    assert csrf_token_function.rstrip().endswith("}")
    block = f"{csrf_token_function}\n{code('front-ends:logout')}"
    cookie = f"csrftoken={logged_in.cookies['csrftoken'].value}"
    ran = run_js(block, "logOut()", tmp_path, cookie=cookie)
    (form,) = [entry["form"] for entry in ran["sent"]]
    assert form["method"] == "post"
    assert strict(logged_in).post(form["action"], form["fields"]).status_code == 302
    assert logged_in.get("/auth/session/").status_code == 401

    other = Client()
    log_in(other, wristband)
    cookie = f"csrftoken={other.cookies['csrftoken'].value}"
    ran = run_js(block, "logOutHere()", tmp_path, cookie=cookie, answer={"type": "opaqueredirect"})
    (request,) = [entry["fetch"] for entry in ran["sent"]]
    assert ran["result"] is True and request["redirect"] == "manual"
    headers = {"HTTP_X_CSRFTOKEN": request["headers"]["X-CSRFToken"]}
    assert strict(other).post(request["url"], **headers).status_code == 302
    assert other.get("/auth/session/").status_code == 401

"""Translations: what users and developers read is in the active language, and the shipped
German catalogue is complete and compiled.

The active language comes from ``LANGUAGE_CODE``, or from ``Accept-Language`` under Django's
``LocaleMiddleware``: the error page, the logout confirmation, a system check, the admin and
the ``error_description`` of a JSON answer follow it; ``error`` codes and log messages stay
English. The catalogue tests fail when a marked string has no German translation, when the
.mo is older than the .po, or when the .po misses a string the code marks (to update it:
``cd wristband_django && django-admin makemessages -l de --add-location=file``, translate,
``django-admin compilemessages``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from tests.support.auth_helpers import admin_client, log_in
from tests.support.po_files import mo_messages, po_messages, read_po
from wristband_django.errors import (
    MaxAgeExceededError,
    StoreUnavailableError,
    WristbandError,
    WristbandTimeoutError,
    WristbandUnavailableError,
)
from wristband_django.testing import FakeWristband
from wristband_django.web.error_messages import user_message

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "wristband_django"
GERMAN = PACKAGE / "locale" / "de" / "LC_MESSAGES"
LOCALE_MIDDLEWARE = "django.middleware.locale.LocaleMiddleware"
DUPLICATED = "/auth/login/?tenant_name=a&tenant_name=b"  # the error page, without Wristband


@pytest.fixture(autouse=True)
def _no_language_left_active() -> Iterator[None]:
    """Deactivate the language a request activated: ``LocaleMiddleware`` leaves it active in
    the thread, where the next tests would run in German."""
    yield
    translation.deactivate()


@pytest.fixture
def locale_middleware(settings: Any) -> None:
    """Django's ``LocaleMiddleware``, after the session middleware as Django documents."""
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(1, LOCALE_MIDDLEWARE)
    settings.MIDDLEWARE = middleware


def test_the_error_page_is_in_the_language_code(settings: Any) -> None:
    settings.LANGUAGE_CODE = "de"
    page = Client().get(DUPLICATED)
    html = page.content.decode()
    assert page.status_code == 400
    assert '<html lang="de">' in html
    assert "<title>Problem bei der Anmeldung</title>" in html
    assert "Wir konnten Sie nicht anmelden" in html
    assert "<p>Der Anmeldelink ist ungültig.</p>" in html  # the sentence for a person first
    assert "Details: Der Abfrageparameter „tenant_name“ ist mehrfach angegeben." in html
    assert "Fehlercode: <code>invalid_request</code>" in html  # the code is not translated
    assert '<a href="/auth/login/">Erneut anmelden</a> oder <a href="/">zurück zum' in html


@pytest.mark.usefixtures("locale_middleware")
def test_the_error_page_follows_accept_language() -> None:
    german = Client(headers={"accept-language": "de-DE,de;q=0.9,en;q=0.5"}).get(DUPLICATED)
    english = Client(headers={"accept-language": "en"}).get(DUPLICATED)
    assert '<html lang="de">' in german.content.decode()
    assert "Wir konnten Sie nicht anmelden" in german.content.decode()
    assert '<html lang="en">' in english.content.decode()
    assert "We could not log you in" in english.content.decode()


@pytest.mark.wristband_settings(allow_logout_get=True)
@pytest.mark.usefixtures("locale_middleware")
def test_the_logout_confirmation_follows_accept_language(wristband: FakeWristband) -> None:
    page = Client(headers={"accept-language": "de"}).get("/auth/logout/")  # no Fetch Metadata
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="de">' in html
    assert "<h1>Abmelden?</h1>" in html
    assert "Dieser Link kam nicht von dieser Website, daher sind Sie noch angemeldet." in html
    assert '<button type="submit">Abmelden</button>' in html
    assert ">Angemeldet bleiben</a>" in html


@pytest.mark.wristband_settings(allow_logout_get=True, default_return_url="/dashboard/")
def test_go_back_links_lead_to_default_return_url(wristband: FakeWristband) -> None:
    """The "Stay logged in" and "go back to the start" links are ``default_return_url``."""
    confirmation = Client().get("/auth/logout/").content.decode()
    error_page = Client().get(DUPLICATED).content.decode()
    assert '<a href="/dashboard/">Stay logged in</a>' in confirmation
    assert '<a href="/dashboard/">go back to the start</a>' in error_page


def test_a_system_check_is_in_the_language_code(settings: Any) -> None:
    settings.LANGUAGE_CODE = "de"
    settings.SESSION_COOKIE_SAMESITE = "Strict"
    out, err = StringIO(), StringIO()
    call_command("check", stdout=out, stderr=err)
    assert "(wristband_django.W004) SESSION_COOKIE_SAMESITE ist 'Strict'." in err.getvalue()
    assert "HINT: Der Browser kommt websiteübergreifend von Wristbands" in err.getvalue()


@pytest.mark.usefixtures("locale_middleware")
def test_the_admin_labels_follow_accept_language(wristband: FakeWristband) -> None:
    log_in(Client(), wristband)  # a row to list
    page = admin_client().get(
        "/admin/wristband_django/loginsession/", headers={"accept-language": "de"}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "Wristband-Anmeldesitzungen" in html  # verbose_name_plural
    assert "Mandanten-ID" in html and "Identitätsanbieter" in html  # column headers
    assert "Sitzung beenden (bei Wristband widerrufen, diesen Browser abmelden)" in html


@pytest.mark.usefixtures("locale_middleware")
def test_a_json_answer_translates_its_description_not_its_code(wristband: FakeWristband) -> None:
    response = Client(headers={"accept-language": "de"}).get(
        "/bearer/", headers={"authorization": "Bearer not-a-jwt"}
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_token",
        "error_description": "Das Access-Token ist ungültig oder abgelaufen.",
    }


def test_every_german_message_is_translated() -> None:
    entries = read_po(GERMAN / "django.po")
    assert len(entries) > 50
    assert [entry.msgid for entry in entries if "fuzzy" in entry.flags] == []
    untranslated = [
        entry.msgid
        for entry in entries[1:]  # the header is not a message
        if not entry.msgstr or not all(entry.msgstr.values())
    ]
    assert untranslated == []
    plural = [entry for entry in entries if entry.msgid_plural is not None]
    assert plural and all(sorted(entry.msgstr) == [0, 1] for entry in plural)  # German: 2


def test_the_compiled_catalogue_is_the_po_file() -> None:
    """The shipped .mo holds exactly the .po's messages: compilemessages was run after the
    last change to the .po."""
    assert mo_messages(GERMAN / "django.mo") == po_messages(read_po(GERMAN / "django.po"))


@pytest.mark.gettext
@pytest.mark.slow  # makemessages in a subprocess
def test_the_po_file_has_every_string_the_code_marks(tmp_path: Path) -> None:
    """``makemessages`` run on a copy of the package finds exactly the .po's messages."""
    if shutil.which("xgettext") is None:
        pytest.skip("GNU gettext (xgettext, msgmerge) is not installed (Debian: gettext)")
    copy = tmp_path / "wristband_django"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "locale"))
    (copy / "locale").mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.support.settings"}
    env["PYTHONPATH"] = str(ROOT)
    # Run in the copy, without the copy on sys.path: its ``types`` package would shadow the
    # standard library's (``python -m`` and ``-c`` put the working directory first).
    makemessages = (
        "import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['django-admin', 'makemessages', '-l', 'de', "
        "'--add-location=file'])"
    )
    subprocess.run(  # noqa: S603 (our interpreter, our own code)
        [sys.executable, "-c", makemessages],
        cwd=copy, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    extracted = read_po(copy / "locale" / "de" / "LC_MESSAGES" / "django.po")
    shipped = read_po(GERMAN / "django.po")

    def ids(entries: list[Any]) -> set[tuple[str, str | None, str | None]]:
        return {(entry.msgid, entry.msgid_plural, entry.msgctxt) for entry in entries}

    assert ids(extracted) - ids(shipped) == set(), "marked in the code, missing in the .po"
    assert ids(shipped) - ids(extracted) == set(), "in the .po, no longer in the code"


def test_the_inline_stylesheet_is_the_static_one() -> None:
    """The pages inline the template copy of the stylesheet where they cannot link the static
    file (see stylesheet.html): both say the same."""
    static = PACKAGE / "static" / "wristband_django" / "pages.css"
    template = PACKAGE / "templates" / "wristband_django" / "pages.css"
    assert static.read_text() == template.read_text()


@pytest.mark.parametrize(
    ("error", "sentence"),
    [
        (WristbandError("access_denied", "no such user here"), "Dieses Konto darf diese Website"),
        (WristbandError("invalid_state", "No pending login"), "Diese Anmeldung wurde in einem"),
        (WristbandTimeoutError("no answer", request_sent=True), "Der Anmeldedienst hat nicht"),
        (WristbandUnavailableError("server_error", "HTTP 503"), "Der Anmeldedienst hat nicht"),
        (StoreUnavailableError(), "Sitzungen sind vorübergehend nicht verfügbar"),
        (MaxAgeExceededError("auth_time too old"), "Diese Seite erfordert eine kürzlich"),
        (WristbandError("unheard_of", "Wristband's own words"), "Die Anmeldung konnte nicht"),
    ],
    ids=lambda value: getattr(value, "error", None) or type(value).__name__,
)
def test_every_error_leads_the_page_with_a_translated_sentence(
    error: WristbandError, sentence: str
) -> None:
    """The description is for developers (English, or Wristband's words): the page leads
    with a sentence in the active language, and keeps the code and description as details."""
    with translation.override("de"):
        message = user_message(error)
    assert message.startswith(sentence)

"""The admin's list of login sessions stays cheap however many rows there are (issue 27,
point 4; benchmarks/bench/admin_scale.py measures it at a million rows on PostgreSQL): one
count per page, searches that an index serves (a whole email in any case, the start of a
user id), filters whose choices come from the newest logins rather than every row's distinct
values; and ``wristband_purge_sessions`` removes dead rows in batches, one ``DELETE`` each,
and reports its rate."""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client

from tests.support.auth_helpers import admin_client
from wristband_django import testing
from wristband_django.models import LoginSession
from wristband_django.store import login_records, sealing
from wristband_django.testing import FakeWristband
from wristband_django.web import admin_changelist

pytestmark = pytest.mark.wristband_settings(protected_paths=["/api/"])

CHANGELIST = "/admin/wristband_django/loginsession/"
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def dead_rows(count: int, *, tenant: str = "ten_bulk", start: int = 0) -> list[LoginSession]:
    """Rows of sessions no store holds (as expired ones are), one user each, newest last."""
    rows = []
    for index in range(start, start + count):
        key = secrets.token_hex(16)
        rows.append(
            LoginSession(
                session_key_hash=login_records.key_hash(key),
                session_key_sealed=sealing.encrypt(login_records.SEALED_FIELD, key),
                user_id=f"usr_{index:05d}",
                email=f"user{index}@{tenant}.example.test",
                tenant_id=tenant,
                tenant_name=f"{tenant} Inc",
                identity_provider="Wristband",
                created_at=NOW + timedelta(minutes=index),
                access_token_expires_at=NOW + timedelta(minutes=index, hours=1),
            )
        )
    return LoginSession.objects.bulk_create(rows)


class Statements:
    """The SQL statements run inside the ``with``."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __call__(self, execute: Any, sql: str, *rest: Any) -> Any:
        self.sql.append(sql)
        return execute(sql, *rest)

    def matching(self, pattern: str) -> list[str]:
        return [sql for sql in self.sql if re.search(pattern, sql, re.IGNORECASE)]


@pytest.fixture
def statements() -> Iterator[Statements]:
    recorded = Statements()
    with connection.execute_wrapper(recorded):
        yield recorded


def listed_user_ids(page: str) -> list[str]:
    return re.findall(r'class="field-user_id">(?:<a [^>]*>)?([^<]+)<', page)


# --- the changelist -----------------------------------------------------------------------


def test_a_page_costs_the_same_queries_at_ten_and_at_three_hundred_rows() -> None:
    admin = admin_client()
    dead_rows(10)
    admin.get(CHANGELIST)  # the admin's first request loads its content types, say
    with connection.execute_wrapper(small := Statements()):
        assert admin.get(CHANGELIST).status_code == 200
    dead_rows(290, start=10)
    with connection.execute_wrapper(big := Statements()):
        page = admin.get(CHANGELIST).content.decode()
    assert len(big.sql) == len(small.sql)
    assert len(listed_user_ids(page)) == 50  # one page, newest first
    assert listed_user_ids(page)[0] == "usr_00299"


def test_a_search_counts_its_results_once_not_every_row_too(statements: Statements) -> None:
    admin = admin_client()
    dead_rows(30)
    page = admin.get(CHANGELIST, {"q": "usr_00012 user3@ten_bulk.example.test"}).content.decode()
    assert listed_user_ids(page) == []  # both words must match one row
    statements.sql.clear()
    page = admin.get(CHANGELIST, {"q": "usr_00012"}).content.decode()
    assert listed_user_ids(page) == ["usr_00012"]
    assert len(statements.matching(r"COUNT\(")) == 1  # the results' count; no "of N total"
    assert "1 result" in page


def test_search_finds_a_whole_email_in_any_case_or_a_whole_user_id() -> None:
    admin = admin_client()
    dead_rows(12)
    by_email = admin.get(CHANGELIST, {"q": "USER7@Ten_Bulk.Example.TEST"}).content.decode()
    assert listed_user_ids(by_email) == ["usr_00007"]
    by_id = admin.get(CHANGELIST, {"q": "usr_00011"}).content.decode()
    assert listed_user_ids(by_id) == ["usr_00011"]
    # Neither a piece of an email nor a piece of a user id scans every row any more.
    assert listed_user_ids(admin.get(CHANGELIST, {"q": "ten_bulk"}).content.decode()) == []
    assert listed_user_ids(admin.get(CHANGELIST, {"q": "usr_0001"}).content.decode()) == []


def test_the_tenant_filter_lists_the_newest_logins_tenants_and_filters_by_any_tenant_id(
    statements: Statements,
) -> None:
    admin = admin_client()
    dead_rows(3, tenant="ten_old")
    dead_rows(4, tenant="ten_new", start=3)
    page = admin.get(CHANGELIST).content.decode()
    assert '?tenant=ten_new"' in page and "ten_new Inc" in page
    assert "DISTINCT" not in " ".join(statements.sql).upper()  # no scan for distinct values
    filtered = admin.get(CHANGELIST, {"tenant": "ten_old"}).content.decode()
    assert sorted(listed_user_ids(filtered)) == ["usr_00000", "usr_00001", "usr_00002"]
    assert "3 results" in filtered


def test_a_tenant_not_among_the_newest_logins_is_shown_when_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(admin_changelist, "RECENT_ROWS", 2)
    admin = admin_client()
    dead_rows(3, tenant="ten_old")
    dead_rows(2, tenant="ten_new", start=3)
    assert '?tenant=ten_old"' not in admin.get(CHANGELIST).content.decode()
    chosen = admin.get(CHANGELIST, {"tenant": "ten_old"}).content.decode()
    assert re.search(r'class="selected">\s*<a href="\?tenant=ten_old"[^>]*>ten_old Inc', chosen)
    assert len(listed_user_ids(chosen)) == 3


def test_the_paginator_counts_exactly_off_postgresql_and_on_small_tables() -> None:
    dead_rows(5)
    paginator = admin_changelist.EstimatedCountPaginator(LoginSession.objects.all(), 2)
    assert paginator.count == 5
    assert paginator.num_pages == 3


def test_ending_one_session_from_the_list_logs_that_browser_out(wristband: FakeWristband) -> None:
    dead_rows(150)
    browser = Client()
    testing.log_in(browser, wristband)
    row = LoginSession.objects.get(user_id="usr_acme_admin")
    answer = admin_client().post(
        CHANGELIST, {"action": "end_sessions", "_selected_action": [row.pk]}
    )
    assert answer.status_code == 302
    assert browser.get("/api/whoami/").status_code == 401
    assert LoginSession.objects.count() == 150


# --- the purge ----------------------------------------------------------------------------


def test_the_purge_deletes_in_batches_keeps_live_rows_and_reports_its_rate(
    wristband: FakeWristband, statements: Statements
) -> None:
    dead_rows(3)
    browser = Client()
    testing.log_in(browser, wristband)
    dead_rows(2, start=3)
    out = io.StringIO()
    call_command("wristband_purge_sessions", "--batch-size", "2", "--verbosity", "2", stdout=out)
    deletes = statements.matching(r"^DELETE FROM")
    assert len(deletes) == 3  # rows 1-2, 3-4 (one live), 5-6: one statement per batch
    assert list(LoginSession.objects.values_list("user_id", flat=True)) == ["usr_acme_admin"]
    assert browser.get("/api/whoami/").status_code == 200
    assert re.search(r"Purged 5 row\(s\) .*\(6 checked in [\d.]+ s, \d+ rows/s\)\.", out.getvalue())


def test_the_purge_prints_progress_every_so_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    from wristband_django.management.commands import wristband_purge_sessions

    monkeypatch.setattr(wristband_purge_sessions, "PROGRESS_EVERY", 4)
    dead_rows(9)
    out = io.StringIO()
    call_command("wristband_purge_sessions", "--batch-size", "2", "--verbosity", "2", stdout=out)
    progress = re.findall(
        r"Checked (\d+) row\(s\), purged \d+, [\d.]+ s, \d+ rows/s", out.getvalue()
    )
    assert progress == ["4", "8"]
    quiet = io.StringIO()
    call_command("wristband_purge_sessions", stdout=quiet)
    assert "Checked" not in quiet.getvalue()


def test_a_batch_size_below_one_is_refused() -> None:
    with pytest.raises(CommandError, match="at least 1"):
        call_command("wristband_purge_sessions", "--batch-size", "0")

"""docs/observability.md holds: its install line names the extra, its SDK setup runs as
written and gets the app's spans and metrics out, its exclusion pattern matches the Callback
endpoint, its dashboards and alerts query only metrics, labels and values the app records,
and its tables list every span, instrument and attribute."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from django.urls import reverse

from tests.docs.docs_blocks import code
from wristband_django.signals import LoginFailure
from wristband_django.telemetry import names

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "observability.md").read_text(encoding="utf-8")

#: What OpenTelemetry's Prometheus exporters make of a name: dots become underscores.
PROMETHEUS = {name.replace(".", "_"): name for name in (*names.INSTRUMENTS, *names.ATTRIBUTES)}
#: Label values the queries may match, by label.
VALUES = {
    names.LOGIN_OUTCOME: names.LOGIN_OUTCOMES,
    names.REFRESH_OUTCOME: names.REFRESH_OUTCOMES,
    names.STORE_OPERATION: names.STORE_OPERATIONS,
    names.JWKS_OUTCOME: names.JWKS_OUTCOMES,
    names.ERROR_TYPE: ("",),
}
COUNTERS = {names.LOGIN_STARTS, names.LOGINS, names.REFRESHES, names.STORE_OUTAGES}
COUNTERS.add(names.JWKS_FETCHES)
HISTOGRAMS = {names.LOCK_WAIT, names.CALL_DURATION}


def extras() -> configparser.SectionProxy:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    return parser["options.extras_require"]


def test_the_install_line_installs_the_otel_extra_which_is_the_api() -> None:
    assert '"wristband-django[otel]"' in code("observability:install")
    assert "opentelemetry-api" in extras()["otel"]
    assert "opentelemetry-sdk" in extras()["test"]  # the suite records with the SDK
    assert "opentelemetry" not in extras().get("install_requires", "")


def test_the_sdk_setup_runs_as_written_and_gets_the_apps_spans_and_metrics_out() -> None:
    script = code("observability:sdk") + textwrap.dedent(
        """
        from wristband_django import telemetry

        with telemetry.call("JWKS", "GET", "https://yourapp.us.wristband.dev/api/v1"):
            telemetry.answered(200)
        tracer_provider.shutdown()
        metrics.get_meter_provider().shutdown()
        """
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter, our own script
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert '"name": "GET /api/v1/oauth2/jwks"' in done.stdout
    assert '"name": "wristband.call.duration"' in done.stdout
    assert '"service.name": "my-django-app"' in done.stdout


def test_the_excluded_urls_pattern_matches_the_callback_endpoint_and_not_the_others() -> None:
    pattern = re.search(
        r'OTEL_PYTHON_DJANGO_EXCLUDED_URLS="([^"]+)"', code("observability:django-excluded")
    )
    assert pattern is not None
    excluded = re.compile(pattern.group(1))
    callback = f"http://testserver{reverse('wristband:callback')}?code=c0de&state=st4te"
    assert excluded.search(callback)
    for other in ("wristband:login", "wristband:logout", "wristband:session"):
        assert not excluded.search(f"http://testserver{reverse(other)}")


def instrument_of(series: str) -> str:
    """Return the instrument a Prometheus series name stands for."""
    counter = series.removesuffix("_total")
    if counter != series:
        assert PROMETHEUS[counter] in COUNTERS, series
        return PROMETHEUS[counter]
    for suffix in ("_seconds_bucket", "_seconds_count", "_seconds_sum"):
        histogram = series.removesuffix(suffix)
        if histogram != series:
            assert PROMETHEUS[histogram] in HISTOGRAMS, series
            return PROMETHEUS[histogram]
    raise AssertionError(f"{series} is no series the app's instruments make")


def test_the_dashboards_and_alerts_query_what_the_app_records() -> None:
    queried: set[str] = set()
    for queries in (code("observability:dashboards"), code("observability:alerts")):
        for series in re.findall(r"\b(wristband_[a-z_]+)\b", queries):
            if PROMETHEUS.get(series) not in names.ATTRIBUTES:  # a label is checked below
                queried.add(instrument_of(series))
        for labels in re.findall(r"by \(([^)]*)\)", queries):
            for label in (label.strip() for label in labels.split(",")):
                assert label == "le" or label in PROMETHEUS, label
        for label, value in re.findall(r'([a-z_]+)!?="([^"]*)"', queries):
            assert label in PROMETHEUS, label
            assert value in VALUES[PROMETHEUS[label]], (label, value)
    assert queried == COUNTERS - {names.LOGIN_STARTS} | HISTOGRAMS


def test_the_tables_list_every_span_instrument_and_attribute_and_nothing_else() -> None:
    listed = set(re.findall(r"`((?:wristband|http|server|url|error)\.[a-z_.]+)`", PAGE))
    documented = {*names.SPANS, *names.INSTRUMENTS, *names.ATTRIBUTES}
    assert documented <= listed, documented - listed
    assert listed <= documented, listed - documented
    for value in (*names.REFRESH_OUTCOMES, *names.LOGIN_STEPS, *names.STORE_OPERATIONS):
        assert f"`{value}`" in PAGE, value
    for call, template in names.CALLS.values():
        assert f"`{call}` (`{template}`)" in PAGE, call
    failures = PAGE.split("| `wristband.login.failure` |", 1)[1].split("\n", 1)[0]
    for name, reason in vars(LoginFailure).items():
        if name.isupper():
            assert f"`{reason}`" in failures, reason

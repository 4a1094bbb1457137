"""Release hygiene: the classifiers promise what tox runs, and the license ships."""

from __future__ import annotations

import configparser
import itertools
import re
from pathlib import Path

from wristband_django import __version__

ROOT = Path(__file__).resolve().parents[2]


def read_config(name: str) -> configparser.ConfigParser:
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / name)
    return config


def expand(env: str) -> list[str]:
    """tox's generative names: py{310,311}-dj{42,52} -> py310-dj42, py310-dj52, ..."""
    parts = re.split(r"(\{[^}]*\})", env)
    choices = [part[1:-1].split(",") if part.startswith("{") else [part] for part in parts]
    return ["".join(combination) for combination in itertools.product(*choices)]


def tox_versions() -> tuple[set[str], set[str]]:
    """The Python and Django versions tox's envlist runs, as "3.10" and "4.2"."""
    envlist = read_config("tox.ini")["tox"]["envlist"].split()
    pythons, djangos = set(), set()
    for env in itertools.chain.from_iterable(expand(entry) for entry in envlist):
        match = re.fullmatch(r"py3(\d+)-dj(\d)(\d+)", env)
        if match:
            pythons.add(f"3.{match[1]}")
            djangos.add(f"{match[2]}.{match[3]}")
    return pythons, djangos


def classifier_versions() -> tuple[set[str], set[str]]:
    classifiers = read_config("setup.cfg")["metadata"]["classifiers"].split("\n")
    pythons = {
        c.rsplit(":: ", 1)[1]
        for c in classifiers
        if c.startswith("Programming Language :: Python :: 3.")
    }
    djangos = {
        c.rsplit(":: ", 1)[1] for c in classifiers if c.startswith("Framework :: Django :: ")
    }
    return pythons, djangos


def test_expand_reads_tox_generative_names() -> None:
    assert expand("py{312,313}-dj{60,61}") == [
        "py312-dj60",
        "py312-dj61",
        "py313-dj60",
        "py313-dj61",
    ]
    assert expand("lint") == ["lint"]


def test_classifiers_name_exactly_the_pythons_and_djangos_tox_runs() -> None:
    pythons, djangos = tox_versions()
    assert pythons == {"3.10", "3.11", "3.12", "3.13"}  # the README's support policy
    assert djangos == {"4.2", "5.2", "6.0", "6.1"}
    assert classifier_versions() == (pythons, djangos)


def test_python_requires_is_the_oldest_python_tested() -> None:
    oldest = min(tox_versions()[0], key=lambda version: tuple(map(int, version.split("."))))
    assert read_config("setup.cfg")["options"]["python_requires"] == f">={oldest}"


def test_ci_builds_and_checks_the_package() -> None:
    tox = read_config("tox.ini")
    assert "package" in tox["tox"]["envlist"].split()
    commands = tox["testenv:package"]["commands"]
    assert "python -m build" in commands
    assert "twine check --strict" in commands


def test_the_license_and_the_changelog_ship() -> None:
    metadata = read_config("setup.cfg")["metadata"]
    assert metadata["license"] == "MIT"
    assert metadata["license_files"].split() == ["LICENSE"]
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.startswith("MIT License")
    assert "the wristband-django authors" in license_text
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog
    assert f"## [{__version__}]" in changelog  # the version setup.cfg reads

"""The package's log records, kept off the console while a command prints its lines.

A project's logging may send them to the console (a ``StreamHandler`` to stderr, as
Django's own ``LOGGING`` has for its loggers in DEBUG; and Python's last-resort handler
prints any unhandled WARNING to stderr), where they would be mixed into the command's
lines. ``console_free_records`` holds them back from every handler that writes to the
console, and collects them for the command to show apart if asked. Handlers elsewhere (a
file, a log service, a test's capture) still get them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

PACKAGE_LOGGER = "wristband_django"


def is_package_record(record: logging.LogRecord) -> bool:
    """Tell whether ``record`` comes from one of the package's loggers."""
    return record.name == PACKAGE_LOGGER or record.name.startswith(f"{PACKAGE_LOGGER}.")


class _Collector(logging.Handler):
    """A handler that keeps every record it is given, in order."""

    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class _NotThePackage(logging.Filter):
    """Lets every record through but the package's."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not is_package_record(record)


def _writes_to_console(handler: logging.Handler, consoles: list[Any]) -> bool:
    """Tell whether ``handler`` writes to one of ``consoles`` or to file descriptor 1 or 2."""
    if handler is logging.lastResort:
        return True
    stream: IO[str] | None = getattr(handler, "stream", None)
    if not isinstance(handler, logging.StreamHandler) or stream is None:
        return False
    if any(stream is console for console in consoles):
        return True
    try:
        return stream.fileno() in (1, 2)
    except (AttributeError, OSError, ValueError):  # no descriptor (StringIO), or closed
        return False


def _all_handlers() -> list[logging.Handler]:
    """Return every handler of every logger there is, the root's and the last-resort one."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    handlers = [
        h for logger in loggers if isinstance(logger, logging.Logger) for h in logger.handlers
    ]
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    return list({id(handler): handler for handler in handlers}.values())


@contextmanager
def console_free_records() -> Iterator[list[logging.LogRecord]]:
    """Keep the package's log records off the console while the block runs, and collect
    them all.

    The console is ``sys.stdout`` and ``sys.stderr`` (as they are now, and as they were at
    start-up) and file descriptors 1 and 2. Each handler that writes there gets a filter
    dropping the package's records, removed afterwards; levels are left alone (a record the
    project's levels drop is not made)."""
    records: list[logging.LogRecord] = []
    consoles = [sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__]
    silenced = [h for h in _all_handlers() if _writes_to_console(h, consoles)]
    keep_out, collector = _NotThePackage(), _Collector(records)
    package = logging.getLogger(PACKAGE_LOGGER)
    for handler in silenced:
        handler.addFilter(keep_out)
    package.addHandler(collector)
    try:
        yield records
    finally:
        package.removeHandler(collector)
        for handler in silenced:
            handler.removeFilter(keep_out)

"""What the error page tells a person, in the active language.

An error's ``error_description`` is written for developers and logs (ours in English, or
Wristband's own words), so the page leads with a sentence chosen by the kind of failure and
translated, and shows the code and description below it as details for support.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wristband_django.errors import (
    MaxAgeExceededError,
    StoreUnavailableError,
    WristbandError,
    WristbandUnavailableError,
)

#: The sentence for an error code (ours or Wristband's) a person can act on.
BY_CODE: dict[str, Promise] = {
    "access_denied": _("This account may not use this site. Ask its administrators for access."),
    "invalid_state": _(
        "This sign-in was started in another browser or tab, or too long ago. Please sign in again."
    ),
    "invalid_grant": _("This sign-in has expired. Please sign in again."),
    "login_required": _("Please sign in again."),
    "invalid_request": _("The sign-in link is not valid."),
    "tenant_mismatch": _("This sign-in belongs to another organisation's address."),
}
UNAVAILABLE = _("The sign-in service did not answer in time. Please try again in a moment.")
STALE_LOGIN = _("This page needs a recent sign-in. Please sign in again.")
GENERIC = _("The sign-in could not be completed.")


def user_message(error: WristbandError) -> str:
    """Return the sentence the error page leads with for ``error``, in the active language."""
    if isinstance(error, StoreUnavailableError):
        return error.shown_description
    if isinstance(error, WristbandUnavailableError):
        return str(UNAVAILABLE)
    if isinstance(error, MaxAgeExceededError):
        return str(STALE_LOGIN)
    return str(BY_CODE.get(error.error, GENERIC))

"""The ``WRISTBAND_AUTH`` keys of the optional Django users, which ``conf.parsing.SETTINGS``
lists with the others.

How a Wristband user is matched to a Django user (linking existing users by a verified
email, creating users or not) is the user adapter's, in code: see
``wristband_django.user_adapter.UserAdapter``.
"""

from __future__ import annotations

from wristband_django.conf import fields
from wristband_django.conf.setting import Setting

DJANGO_USER_SETTINGS: dict[str, Setting] = {
    "authenticate_django_user": Setting(
        fields.boolean,
        "Also log a Django user in for each Wristband login (`request.user`); see "
        "[Django users](apis.md#django-users).",
    ),
    "user_adapter": Setting(
        fields.string,
        "Dotted path of the class that maps a Wristband user to a Django user.",
    ),
    "bearer_django_user": Setting(
        fields.boolean,
        "Make a bearer-token request's `request.user` the Django user of the token's user "
        "(found through the user adapter, never created), so Django permissions work for API "
        "calls; a person's token without an active Django user here is refused (401). "
        "Machine-to-machine tokens keep their `WristbandUser`. See "
        "[Bearer tokens and Django users](apis.md#bearer-tokens-and-django-users).",
    ),
}

"""Signals. Receivers get ``sender`` and these keyword arguments:

``login_completed`` (sender: the ``CallbackView`` class)
    ``request``, ``session`` (the new ``WristbandSession``), ``custom_state``.
``tokens_refreshed`` (sender: ``WristbandSession``)
    ``request``, ``session`` (with the new tokens).
``refresh_failed`` (sender: ``WristbandSession``)
    ``request``, ``user_id``, ``error`` (the ``WristbandError``); the session has been ended.
``logged_out`` (sender: the ``LogoutView`` class)
    ``request``, ``user_id`` (``None`` if there was no Wristband session).
``session_ended_by_admin`` (sender: ``LoginSession``)
    ``request`` (the admin's), ``user_id``, ``tenant_id``.

No signal carries a token outside the ``WristbandSession`` object, whose repr hides them.
"""

from django.dispatch import Signal

login_completed = Signal()
tokens_refreshed = Signal()
refresh_failed = Signal()
logged_out = Signal()
session_ended_by_admin = Signal()

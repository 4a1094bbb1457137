"""``UserAdapter``: how a Wristband user becomes a Django user. Subclass it and point the
``user_adapter`` setting at your class, e.g. to turn Wristband roles into groups or staff."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.module_loading import import_string

from wristband_django.conf import get_config
from wristband_django.types import WristbandSession, role_names

__all__ = [
    "UserAdapter",
    "get_user_adapter",
]


class UserAdapter:
    """Creates or updates the Django user of a Wristband user on every login."""

    def get_username(self, wristband_session: WristbandSession) -> str:
        """Return the Django username: Wristband's user id, which is unique across tenants."""
        return wristband_session.user_id

    def get_or_create_user(self, wristband_session: WristbandSession) -> AbstractBaseUser:
        user_model = get_user_model()
        username_field = getattr(user_model, "USERNAME_FIELD", "username")
        user: AbstractBaseUser
        user, _ = user_model._default_manager.get_or_create(
            **{username_field: self.get_username(wristband_session)}
        )
        self.update_user(user, wristband_session)
        user.save()
        return user

    def update_user(self, user: AbstractBaseUser, wristband_session: WristbandSession) -> None:
        """Copy the userinfo claims onto the user. Override to map ``roles`` to groups or
        ``is_staff`` (the user is saved afterwards; groups need ``user.pk``, which exists)."""
        claims = wristband_session.userinfo
        for field, claim in (
            ("email", "email"),
            ("first_name", "given_name"),
            ("last_name", "family_name"),
        ):
            value = claims.get(claim)
            if isinstance(value, str) and hasattr(user, field):
                setattr(user, field, value[:150])

    def roles(self, wristband_session: WristbandSession) -> list[str]:
        """Return the names of the user's Wristband roles (from the ``roles`` scope).

        They are parsed by ``wristband_django.types.role_names``."""
        return list(role_names(wristband_session.userinfo.get("roles")))


def get_user_adapter() -> UserAdapter:
    adapter: UserAdapter = import_string(get_config().user_adapter)()
    return adapter

"""``UserAdapter``: how a Wristband user becomes a Django user. Subclass it and point the
``user_adapter`` setting at your class, e.g. to turn Wristband roles into groups or staff,
to link users who exist already by their verified email, or to create no users."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q, QuerySet, Subquery
from django.db.models.functions import Cast
from django.utils.module_loading import import_string

from wristband_django.conf import get_config
from wristband_django.models import UserLink
from wristband_django.types import WristbandSession, role_names

__all__ = [
    "UserAdapter",
    "get_user_adapter",
]

logger = logging.getLogger(__name__)


class UserAdapter:
    """Finds, links or creates the Django user of a Wristband user, and updates it, on every
    login; finds it (never creates it) for a bearer token (``bearer_django_user``).

    A Wristband user's Django user is recorded (``wristband_django.models.UserLink``) the
    first time it is found, linked or created, and found by that record afterwards. The class
    attributes choose what happens to a Wristband user without one.
    """

    #: Link a Wristband user without a Django user to the existing Django user with the same
    #: email (compared case-insensitively) when Wristband says the email is verified: the
    #: ``email_verified`` claim is JSON ``true``, nothing else. Two such users: refused.
    link_existing_users_by_verified_email: bool = False
    #: Create a Django user for a Wristband user who has none (after linking, if on);
    #: ``False``: the login is refused (the callback's 403 page).
    create_users: bool = True
    #: Wristband roles (names as ``roles()`` returns them) that make the user staff: the
    #: Django admin's ``is_staff``. When this or ``superuser_roles`` is set, every login sets
    #: ``is_staff`` from the roles, so a role removed at Wristband takes the admin away at
    #: the next login; when both are empty, ``is_staff`` is left as the project set it.
    staff_roles: Collection[str] = ()
    #: Wristband roles that make the user a superuser (and staff). When set, every login sets
    #: ``is_superuser`` from the roles; when empty, it is left as the project set it.
    superuser_roles: Collection[str] = ()

    def get_username(self, wristband_session: WristbandSession) -> str:
        """Return the username of a new Django user: Wristband's user id, which is unique
        across tenants."""
        return wristband_session.user_id

    def get_or_create_user(self, wristband_session: WristbandSession) -> AbstractBaseUser | None:
        """Return the Django user of the session's Wristband user, updated from userinfo
        (``update_user``), or ``None`` when it is refused: it has none and may not get one
        (``create_users``), or its verified email is that of two users."""
        username = self.get_username(wristband_session)
        user = self.find_user(wristband_session.user_id, username=username)
        linked_by = "username"
        if user is None and self.link_existing_users_by_verified_email:
            candidates = self.users_with_verified_email(wristband_session)
            if len(candidates) > 1:
                logger.warning(
                    "Not linking Wristband user %s: its email is that of %d Django users",
                    wristband_session.user_id,
                    len(candidates),
                )
                return None
            user, linked_by = (candidates[0], "verified_email") if candidates else (None, "")
        if user is None:
            if not self.create_users:
                logger.info("Refusing Wristband user %s: no Django user", wristband_session.user_id)
                return None
            user_model = get_user_model()
            user, _ = user_model._default_manager.get_or_create(
                **{user_model.USERNAME_FIELD: username}
            )
            linked_by = "created"
        self.update_user(user, wristband_session)
        user.save()
        self.record_link(wristband_session.user_id, user, linked_by)
        return user

    def find_user(
        self, wristband_user_id: str, *, username: str | None = None
    ) -> AbstractBaseUser | None:
        """Return the Django user recorded for a Wristband user, else the user named
        ``username`` (by default the Wristband user id, the username earlier releases gave);
        ``None`` when there is neither. It never creates one, and makes one query."""
        user_model = get_user_model()
        username = wristband_user_id if username is None else username
        named = Q(**{user_model.USERNAME_FIELD: username})
        found: list[AbstractBaseUser] = list(
            user_model._default_manager.filter(Q(pk__in=_linked_pks(wristband_user_id)) | named)[:2]
        )
        if len(found) == 2:  # the recorded user wins over a namesake
            return next(user for user in found if user.get_username() != username)
        return found[0] if found else None

    def users_with_verified_email(
        self, wristband_session: WristbandSession
    ) -> list[AbstractBaseUser]:
        """Return (at most two of) the Django users, linked to no Wristband user yet, whose
        email is the session's, compared case-insensitively; none unless Wristband says the
        email is verified (``email_verified`` is JSON ``true``: not ``"true"``, ``1``, absent)."""
        claims = wristband_session.userinfo
        email = claims.get("email")
        if claims.get("email_verified") is not True or not isinstance(email, str) or not email:
            return []
        user_model = get_user_model()
        unlinked: QuerySet[Any] = user_model._default_manager.exclude(
            pk__in=_linked_pks(None)
        ).filter(**{f"{user_model.get_email_field_name()}__iexact": email.strip()})
        return list(unlinked[:2])

    def record_link(self, wristband_user_id: str, user: AbstractBaseUser, linked_by: str) -> None:
        """Record that the Wristband user logs in as ``user`` (a link kept as it is, or made,
        or moved to ``user`` from a deleted user)."""
        link, created = UserLink.objects.get_or_create(
            wristband_user_id=wristband_user_id,
            defaults={"user_pk": str(user.pk), "linked_by": linked_by},
        )
        if not created and link.user_pk != str(user.pk):
            link.user_pk, link.linked_by = str(user.pk), linked_by
            link.save(update_fields=["user_pk", "linked_by"])

    def update_user(self, user: AbstractBaseUser, wristband_session: WristbandSession) -> None:
        """Copy the userinfo claims onto the user, and the admin flags from the roles
        (``update_admin_flags``). Override to map ``roles`` to groups (the user is saved
        afterwards; groups need ``user.pk``, which exists)."""
        claims = wristband_session.userinfo
        for field, claim in (
            ("email", "email"),
            ("first_name", "given_name"),
            ("last_name", "family_name"),
        ):
            value = claims.get(claim)
            if isinstance(value, str) and hasattr(user, field):
                setattr(user, field, value[:150])
        self.update_admin_flags(user, wristband_session)

    def update_admin_flags(
        self, user: AbstractBaseUser, wristband_session: WristbandSession
    ) -> None:
        """Set ``is_superuser`` and ``is_staff`` from the roles, each only when its roles are
        set (``superuser_roles``; ``staff_roles`` or ``superuser_roles``, since a superuser
        is staff), and only on a user model that has the field."""
        roles = set(self.roles(wristband_session))
        superuser_roles, staff_roles = _names(self.superuser_roles), _names(self.staff_roles)
        if superuser_roles and hasattr(user, "is_superuser"):
            setattr(user, "is_superuser", bool(roles & superuser_roles))  # noqa: B010
        if (staff_roles or superuser_roles) and hasattr(user, "is_staff"):
            setattr(user, "is_staff", bool(roles & (staff_roles | superuser_roles)))  # noqa: B010

    def roles(self, wristband_session: WristbandSession) -> list[str]:
        """Return the names of the user's Wristband roles (from the ``roles`` scope).

        They are parsed by ``wristband_django.types.role_names``."""
        return list(role_names(wristband_session.userinfo.get("roles")))


def _names(roles: Collection[str]) -> set[str]:
    """Return a role attribute's names as a set; a lone string is one name, not its letters."""
    return {roles} if isinstance(roles, str) else set(roles)


def _linked_pks(wristband_user_id: str | None) -> Subquery:
    """Return the primary keys of the Django users linked to this Wristband user (to any,
    for ``None``), as the user model's primary key type, for ``pk__in``."""
    pk_field = get_user_model()._meta.pk
    links = UserLink.objects.all()
    if wristband_user_id is not None:
        links = links.filter(wristband_user_id=wristband_user_id)
    as_pk = Cast("user_pk", output_field=getattr(pk_field, "target_field", pk_field))
    return Subquery(links.annotate(linked_pk=as_pk).values("linked_pk"))


def forget_deleted_user(sender: type, instance: AbstractBaseUser, **kwargs: Any) -> None:
    """Delete the links to a Django user that was just deleted (``post_delete``), so that a
    user created later with the same primary key inherits no Wristband user."""
    UserLink.objects.filter(user_pk=str(instance.pk)).delete()


def get_user_adapter() -> UserAdapter:
    """Return an instance of the ``user_adapter`` setting's class."""
    adapter: UserAdapter = import_string(get_config().user_adapter)()
    return adapter

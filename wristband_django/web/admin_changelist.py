"""What keeps the admin's list of ``LoginSession`` rows fast at a million rows: list filters
whose choices come from the newest logins (a bounded read, never a scan of every row for its
distinct values) and a paginator that takes PostgreSQL's estimate of the row count when the
list is not filtered (an exact ``COUNT(*)`` reads every row).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from wristband_django.models import LoginSession

__all__ = [
    "EstimatedCountPaginator",
    "IdentityProviderFilter",
    "TenantFilter",
]

#: The newest rows whose values a filter offers as choices.
RECENT_ROWS: Final = 2000
#: The choices a filter lists at most.
SHOWN_CHOICES: Final = 30
#: Below this estimate the paginator counts exactly (it is quick, and the estimate is coarse).
ESTIMATE_ABOVE: Final = 100_000


class RecentValuesFilter(admin.SimpleListFilter):
    """A filter on ``value_field`` that lists the values of the newest ``RECENT_ROWS`` rows
    (at most ``SHOWN_CHOICES``, by label), plus the value selected; any value given in the
    URL filters, listed or not."""

    value_field = ""
    label_field = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        """Return (value, label) of the newest rows' values, by label."""
        fields = (self.value_field, self.label_field)
        newest = LoginSession.objects.order_by("-created_at", "-pk").values_list(*fields)
        seen: dict[str, str] = {}
        for value, label in newest[:RECENT_ROWS]:
            seen.setdefault(value, label or value)
        chosen = self.value()
        if chosen and chosen not in seen:
            found = LoginSession.objects.filter(**{self.value_field: chosen})
            seen[chosen] = found.values_list(self.label_field, flat=True).first() or chosen
        shown = sorted(seen.items(), key=lambda item: (item[1].lower(), item[0]))
        kept = shown[:SHOWN_CHOICES]
        if chosen and all(value != chosen for value, _label in kept):
            kept.append((chosen, seen[chosen]))
        return kept

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Keep the rows of the value chosen (an indexed equality where the field has one)."""
        chosen = self.value()
        return queryset.filter(**{self.value_field: chosen}) if chosen else queryset


class TenantFilter(RecentValuesFilter):
    """By tenant: the tenant id chosen (indexed), listed by tenant name."""

    title = _("tenant")
    parameter_name = "tenant"
    value_field = "tenant_id"
    label_field = "tenant_name"


class IdentityProviderFilter(RecentValuesFilter):
    """By identity provider."""

    title = _("identity provider")
    parameter_name = "identity_provider"
    value_field = "identity_provider"
    label_field = "identity_provider"


class EstimatedCountPaginator(Paginator):  # type: ignore[type-arg]
    """Django's paginator, whose count of an unfiltered list on PostgreSQL is the planner's
    estimate (``pg_class.reltuples``, kept by ``ANALYZE`` and autovacuum) once it is over
    ``ESTIMATE_ABOVE``; every other count is exact. The last page of a big unfiltered list
    may therefore be a little off; a filter or a search counts exactly."""

    object_list: Sequence[Any] | QuerySet[Any]

    @cached_property
    def count(self) -> int:
        """Return the estimate for a big unfiltered table, else the exact count."""
        estimate = _estimate(self.object_list)
        return estimate if estimate is not None else super().count


def _estimate(object_list: Sequence[Any] | QuerySet[Any]) -> int | None:
    if not isinstance(object_list, QuerySet) or object_list.query.where:
        return None
    connection = connections[object_list.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [object_list.model._meta.db_table],
        )
        row = cursor.fetchone()
    estimate = int(row[0]) if row and row[0] is not None else -1
    return estimate if estimate > ESTIMATE_ABOVE else None

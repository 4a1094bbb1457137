from django.apps import AppConfig
from django.core.checks import Tags, register

__all__ = [
    "WristbandConfig",
]


class WristbandConfig(AppConfig):
    name = "wristband_django"
    verbose_name = "Wristband"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register the system checks (tag ``wristband``; see ``wristband_django.checks``).

        Django's registry is a set, so a second ``ready()`` registers nothing twice."""
        from wristband_django import checks

        register(checks.check_settings, checks.TAG)
        register(checks.check_middleware, checks.TAG)
        register(checks.check_logout_csrf, checks.TAG, Tags.security)
        register(checks.check_debug_only_flags, checks.TAG, Tags.security)
        register(checks.check_sessions, checks.TAG)
        register(checks.check_lock_cache_alias, checks.TAG, Tags.caches)
        register(checks.check_shared_caches, checks.TAG, Tags.caches, deploy=True)
        register(checks.check_django_user_integration, checks.TAG)

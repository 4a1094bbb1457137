from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import Tags, register
from django.db.models.signals import post_delete

__all__ = [
    "WristbandConfig",
]


class WristbandConfig(AppConfig):
    name = "wristband_django"
    verbose_name = "Wristband"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register the system checks (tag ``wristband``; see ``wristband_django.checks``),
        and, with ``django.contrib.auth``, forget a deleted Django user's link to its
        Wristband user (``UserLink``), so that no later user can inherit it.

        Django's registries ignore a second registration, so a second ``ready()`` adds
        nothing."""
        from wristband_django import checks

        if apps.is_installed("django.contrib.auth"):
            from wristband_django.user_adapter import forget_deleted_user

            post_delete.connect(
                forget_deleted_user,
                sender=settings.AUTH_USER_MODEL,
                dispatch_uid="wristband_django.forget_deleted_user",
            )

        register(checks.check_settings, checks.TAG)
        register(checks.check_middleware, checks.TAG)
        register(checks.check_logout_csrf, checks.TAG, Tags.security)
        register(checks.check_debug_only_flags, checks.TAG, Tags.security)
        register(checks.check_sessions, checks.TAG)
        register(checks.check_lock_cache_alias, checks.TAG, Tags.caches)
        register(checks.check_shared_caches, checks.TAG, Tags.caches, deploy=True)
        register(checks.check_http_login_urls, checks.TAG, Tags.security, deploy=True)
        register(checks.check_django_user_integration, checks.TAG)
        register(checks.check_official_settings, checks.TAG)

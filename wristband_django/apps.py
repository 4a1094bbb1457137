from django.apps import AppConfig


class WristbandConfig(AppConfig):
    name = "wristband_django"
    verbose_name = "Wristband"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wristband_django import checks  # noqa: F401  (registers the system checks)

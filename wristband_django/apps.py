from django.apps import AppConfig


class WristbandConfig(AppConfig):
    name = "wristband_django"
    verbose_name = "Wristband"
    default_auto_field = "django.db.models.BigAutoField"

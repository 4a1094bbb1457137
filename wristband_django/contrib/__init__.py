"""Optional integrations, each needing its extra: ``contrib.drf`` for Django REST framework
(``wristband-django[drf]``) and ``contrib.ninja`` for django-ninja
(``wristband-django[ninja]``)."""

"""Optional integrations: ``contrib.drf`` for Django REST framework
(``wristband-django[drf]``), ``contrib.ninja`` for django-ninja (``wristband-django[ninja]``),
each needing its extra; and ``contrib.webhooks``, a view for Wristband's webhooks that ends
the sessions of deleted or deactivated users and tenants (no extra; its signature checks are
``contrib.webhook_signatures``); ``contrib.outbound``, auth classes that send the user's or
the machine's token to your own APIs with ``requests`` or ``httpx`` (``wristband-django[httpx]``
for the latter), refreshing it once on a 401."""

"""What the Django-facing modules share, internal like ``flows/``: who may pass a protected
view (``guards``), the JSON answers and the login URL in them (``responses``), and the
endpoints' common behaviour (``endpoint``). Import the public modules instead: ``views``,
``middleware``, ``decorators``, ``mixins``."""

"""Guarded views (decorator, mixin, protected_paths): bearer, roles, step-up, CSRF, tenants."""

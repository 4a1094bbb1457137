"""Django's conventions: checks, the admin's rows, signals, request.user, the template context."""

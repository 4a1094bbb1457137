"""The optional integrations: Django REST framework and django-ninja."""

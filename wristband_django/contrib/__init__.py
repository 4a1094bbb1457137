"""Optional integrations (each needs its extra): Django REST framework."""

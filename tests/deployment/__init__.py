"""Deployments: store outages, Redis failover, corporate networks, tokens outside requests."""

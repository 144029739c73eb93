"""Monitoring: what arrived, read from the lake itself.

``datasets`` counts accepted and failed lines per dataset (``GET /monitoring/datasets``);
``health`` says whether the lake takes writes (``GET /health``).
"""

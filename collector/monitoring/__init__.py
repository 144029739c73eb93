"""Monitoring: what arrived, read from the lake itself.

``datasets`` counts accepted and failed lines per dataset (``GET /monitoring/datasets``).
``follower`` keeps a bounded buffer of recent lake lines (``events`` summarises one), served by
``debug_routes`` (``GET /debug/events``, documented in ``debug_openapi``) with ``lookup`` for
what the buffer no longer holds; ``failures`` lists and groups ``lake/_failed`` for
``collector failed list|show|groups`` (``failures_cli``); ``health`` says whether the lake
takes writes (``GET /health``).
"""

"""The control plane: what the collector is configured to accept, and how it is set up.

``settings`` builds the frozen ``Settings`` from ``COLLECTOR_*`` variables; ``sqlite`` opens
every database with the same pragmas; ``plane`` keeps orgs, datasets and inlets in
``control.db`` (with a hot-path cache); ``migrations`` creates its tables; ``seed`` lays out
the demo; ``origins`` checks an inlet's allowed origins and matches them; ``audit`` keeps the
append-only audit log. Every other package imports from here, never the other way round (the
commands over these objects live in ``collector/cli/``).
"""

"""The Real-Time Customer Profile store: a SQLite projection of the lake.

``projector`` tails the lake of profile-enabled datasets into ``profile.db`` (identity graph,
merged profiles, experience events); ``routes`` serves the Profile Access API; ``cli`` offers
``sql``, ``project``, ``replay`` and ``profiles show``. Tables and example queries: QUERIES.md.
"""

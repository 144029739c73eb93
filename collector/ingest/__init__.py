"""Ingestion: from a request's bytes to an acknowledged lake line.

``routes`` adapts HTTP to the ``pipeline``, which holds the order of the stages; ``body``
reads a request body within its limits; ``envelope`` parses the message envelope (current and
legacy forms); ``enrich`` adds transaction ids, the client IP policy and the user agent.
"""

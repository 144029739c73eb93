"""Ingestion: from a request's bytes to an acknowledged lake line.

``routes`` adapts HTTP to the ``pipeline``, which holds the order of the stages and knows no
HTTP (``request``: the ``IngestRequest`` it is given and the ``Result`` it returns);
``receiver`` receives a body off the wire within its limit, deadline and the worker's budget;
``body`` decodes it (decompression, nesting limit); ``numbers`` finds the numbers a float
cannot hold; ``envelope`` parses the message envelope (current and legacy forms); ``enrich``
adds transaction ids, the client IP policy and the user agent.
"""

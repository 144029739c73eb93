"""The lake: append-only JSON-lines segments, the source of truth.

``layout`` builds and parses every lake path; ``writer`` appends lines with a group-committed
fsync on its own thread and publishes each open segment's ``watermark`` (its acknowledged
length); ``segments`` reads segments back and cuts torn tails after a crash; ``hours`` tells
readers which segments may still change (finished hours are remembered). ``compaction``
(``collector lake compact``, ``cli``) writes closed hours in their ``parquet`` form;
``lines`` reads a segment's lines from either form.
"""

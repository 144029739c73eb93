"""The lake: append-only JSON-lines segments, the source of truth.

``writer`` appends lines with a group-committed fsync on its own thread; ``segments`` reads
segments back and cuts torn tails after a crash.
"""

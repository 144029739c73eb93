"""Who may send and how much: checks that run before a message is accepted.

``inlet`` authenticates a request against its inlet and applies its quotas; ``tokens`` owns
inlet bearer tokens; ``ratelimit`` counts quotas with the ``limits`` library; ``cors`` answers
for each inlet's allowed origins; ``cli`` offers ``collector tokens`` and
``collector inlets limits``.
"""

"""Who may send and how much: checks that run before a message is accepted.

``inlet`` authenticates a request against its inlet and applies its quotas; ``tokens`` owns
inlet bearer tokens; ``ratelimit`` counts quotas with the ``limits`` library; ``cors`` answers
for each inlet's allowed origins; ``cli`` offers ``collector tokens`` and
``collector inlets limits``.

Access to data and to the console:

    scopes.py          the scopes of API credentials; what each grants
    credentials.py     API credentials (argon2id secrets), revoke, rotate
    access_tokens.py   the tokens POST /ims/token/v3 issues (SHA-256 stored), looked up per request
    ims.py             POST /ims/token/v3
    access.py          require(request, scope) -> Principal: the check of every protected route
    failures.py        failed token requests and logins counted in control.db (429 past a limit)
    users.py           console users (argon2id passwords)
    roles.py           the role table, allowed(role, action), require_role(request, action)
    sessions.py        server-side console sessions
    migrations.py      their tables in control.db (own migration set)
    credentials_cli.py, users_cli.py   ``collector credentials``, ``collector users``
"""

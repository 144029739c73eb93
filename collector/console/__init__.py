"""The marketer console (server-rendered, Jinja2). For now: sign-in and who is signed in.

    signin.py      GET/POST /console/login, POST /console/logout, GET /console/; the stores
                   a served app holds for it (users, sessions, failed logins)
    templates/     layout.html (one layout, its CSS in console.css), login.html, home.html

Users, roles and sessions live in ``collector/guard`` (``users``, ``roles``, ``sessions``);
the console's future pages call ``guard.roles.require_role(request, action)``.
"""

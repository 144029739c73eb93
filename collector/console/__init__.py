"""The marketer console (server-rendered, Jinja2, no script from elsewhere).

    signin.py      GET/POST /console/login, POST /console/logout, GET /console/; the stores
                   a served app holds for it (users, sessions, failed logins)
    page.py        what every signed-in page shares: the role check, CSRF on every POST,
                   rendering inside the one layout with its navigation
    forms.py       the one form renderer: JSON Schema -> fields, form data -> validated JSON
    properties.py  tag properties: list, create, rename, delete, extension configuration
    activity.py    a property's audit log, newest first
    inlets.py, credentials.py, users.py, datasets.py, datastreams.py (with admin.py)
                   the admin pages under /console/admin/
    templates/     layout.html (one layout, its CSS in console.css), form_fields.html (the
                   renderer's template), one template per page

Users, roles and sessions live in ``collector/guard`` (``users``, ``roles``, ``sessions``);
every route states the role action it needs (``page.page(action)``, ``guard.roles``).
"""

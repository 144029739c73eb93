"""Tag properties: configuration checked against the extension manifest and the XDM schemas,
immutable published library versions, and the route that serves them.

    manifest.py    the extension's manifest (types, settings schemas, module files)
    recipe.py      the build recipe: Jinja2 (non-HTML) rendering, rjsmin, gzip, content hash
    xdmpath.py     XDM mapping paths and constants checked against a composed schema
    checker.py     every setting of a property checked; Send Beacon ``fill`` flags derived
    property.py    the Property and Library records and the property document format
    store.py       properties and library versions in control.db (own migrations)
    properties.py  the workflow: create, import, export, publish
    routes.py      ``GET /tags/<propertyId>/<environment>.js``
    demo.py        the demo property seeded with the demo org
    cli.py         ``collector properties ...``
"""

"""Console pages for a property's data elements: list, add, edit, reorder, delete.

A data element's settings form is the generic renderer over its type's schema from the
manifest. Every save checks the whole property (a data element a rule still references cannot
be deleted: the checker says which rule). Reading needs ``read``, changes ``edit``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from collector.console import forms
from collector.console.components import display_name, save, settings_schema, type_options
from collector.console.page import page, properties, render
from collector.console.properties import not_found, owned
from collector.guard.sessions import SignedIn
from collector.tags.properties import Properties
from collector.tags.property import Property

KIND = "dataElements"
BASE = "/console/properties/{property_id}/data-elements"


def routes() -> list[BaseRoute]:
    return [
        Route(BASE, list_page, methods=["GET"]),
        Route(BASE + "/edit", edit_page, methods=["GET"]),
        Route(BASE + "/save", save_element, methods=["POST"]),
        Route(BASE + "/move", move, methods=["POST"]),
        Route(BASE + "/delete", delete, methods=["POST"]),
    ]


def _list(
    request: Request,
    who: SignedIn,
    flow: Properties,
    prop: Property,
    status: int = 200,
    **more: Any,
) -> Response:
    elements = [
        {"name": name, "type": display_name(flow.manifest, str(element.get("type")))}
        for name, element in prop.data_elements.items()
    ]
    context = {
        "property": prop,
        "elements": elements,
        "types": type_options(flow.manifest, KIND),
        "problems": [],
        **more,
    }
    return render(request, who, "data_elements.html", context, status)


@page("read")
def list_page(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    if prop is None:
        return not_found(request, who)
    return _list(request, who, flow, prop)


def _editor(
    request: Request,
    who: SignedIn,
    flow: Properties,
    prop: Property,
    *,
    original: str,
    name: str,
    type_key: str,
    element: dict[str, Any],
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> Response:
    schema = settings_schema(flow.manifest, type_key, KIND) or {}
    errors = errors or {}
    default = element.get("default")
    context = {
        "property": prop,
        "original": original,
        "name": name,
        "type_key": type_key,
        "type_name": display_name(flow.manifest, type_key),
        "fields": forms.fields(schema, element.get("settings") or {}, errors, "s."),
        "default": ""
        if default is None
        else (default if isinstance(default, str) else json.dumps(default)),
        "name_error": errors.get("#name", ""),
        "problems": problems or [],
    }
    return render(request, who, "data_element.html", context, status)


@page("read")
def edit_page(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    if prop is None:
        return not_found(request, who)
    original = request.query_params.get("name", "")
    if original:
        element = prop.data_elements.get(original)
        if not isinstance(element, dict):
            return not_found(request, who)
        type_key = str(element.get("type"))
    else:
        element, type_key = {}, request.query_params.get("type", "")
    if settings_schema(flow.manifest, type_key, KIND) is None:
        problem = "Choose the type of the new data element."
        return _list(request, who, flow, prop, 422, problems=[problem])
    return _editor(
        request, who, flow, prop, original=original, name=original, type_key=type_key,
        element=element,
    )  # fmt: skip


@page("edit")
def save_element(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    if prop is None:
        return not_found(request, who)
    original = form.get("original", "")
    name = form.get("name", "").strip()
    type_key = form.get("type", "")
    schema = settings_schema(flow.manifest, type_key, KIND)
    if schema is None or (original and original not in prop.data_elements):
        return not_found(request, who)
    settings, errors = forms.parse(schema, form, "s.")
    element: dict[str, Any] = {"type": type_key, "settings": settings}
    if form.get("default", "").strip():
        element["default"] = forms.parse(
            {"properties": {"default": {}}}, {"default": form["default"]}
        )[0]["default"]
    if not name:
        errors["#name"] = "Enter a name."
    elif "%" in name or name.startswith("event."):
        errors["#name"] = "A name has no % and does not start with event."
    elif name != original and name in prop.data_elements:
        errors["#name"] = f"There is already a data element named {name}."
    if errors:
        return _editor(
            request, who, flow, prop, original=original, name=name, type_key=type_key,
            element=element, errors=errors, status=422,
        )  # fmt: skip
    elements: dict[str, Any] = {}
    for key, value in prop.data_elements.items():
        elements[name if key == original else key] = element if key == original else value
    elements.setdefault(name, element)
    action = "data_element.edit" if original else "data_element.add"
    config = {**prop.config(), "dataElements": elements}
    if problems := save(flow, who, prop, config, action, name=name, type=type_key):
        return _editor(
            request, who, flow, prop, original=original, name=name, type_key=type_key,
            element=element, problems=problems, status=422,
        )  # fmt: skip
    return RedirectResponse(BASE.format(property_id=prop.id) + "?saved=1", status_code=303)


@page("edit")
def move(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    if prop is None:
        return not_found(request, who)
    names = list(prop.data_elements)
    name, step = form.get("name", ""), {"up": -1, "down": 1}.get(form.get("direction", ""))
    if name not in names or step is None:
        return not_found(request, who)
    at = names.index(name)
    to = min(max(at + step, 0), len(names) - 1)
    names.insert(to, names.pop(at))
    config = {**prop.config(), "dataElements": {n: prop.data_elements[n] for n in names}}
    if problems := save(flow, who, prop, config, "data_element.move", name=name, position=to + 1):
        return _list(request, who, flow, prop, 422, problems=problems)
    target = BASE.format(property_id=prop.id) + "?moved=" + quote(name)
    return RedirectResponse(target, status_code=303)


@page("edit")
def delete(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    if prop is None:
        return not_found(request, who)
    name = form.get("name", "")
    if name not in prop.data_elements:
        return not_found(request, who)
    if form.get("confirm") != "yes":
        return render(request, who, "data_element_delete.html", {"property": prop, "name": name})
    elements = {k: v for k, v in prop.data_elements.items() if k != name}
    config = {**prop.config(), "dataElements": elements}
    if problems := save(flow, who, prop, config, "data_element.delete", name=name):
        return _list(request, who, flow, prop, 409, problems=problems)
    return RedirectResponse(BASE.format(property_id=prop.id) + "?deleted=1", status_code=303)

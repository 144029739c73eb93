"""Console pages for a property's rules: list, add, edit, reorder, delete.

A rule is edited on one page without script: its events (any may fire), conditions (all must
pass; a negated one is an exception: the rule runs only when it does not match) and actions
(run in order). Each component's settings form is the generic renderer over its type's schema.
Buttons on the page (add, remove, move a component, add a mapping row) send the whole form
back and redraw it; only "Save rule" stores it, after the checker: its messages are shown on
the component and the Send Beacon mapping row they concern, in the CLI's wording. A Send
Beacon offers its dataset's field tree to pick XDM paths from.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from collector.console import field_tree, forms
from collector.console.components import display_name, save, settings_schema, type_options
from collector.console.page import page, properties, render
from collector.console.properties import not_found, owned
from collector.guard.sessions import SignedIn
from collector.tags.manifest import RULE_KINDS
from collector.tags.properties import Properties
from collector.tags.property import Property

BASE = "/console/properties/{property_id}/rules"
TITLES = {
    "events": "Events (any one fires the rule)",
    "conditions": "Conditions and exceptions (all must pass)",
    "actions": "Actions (run in this order)",
}
# Settings the checker computes on save: not drawn, not read from the form.
COMPUTED = {"actions/sendBeacon": ("fill",)}
MAX_COMPONENTS = 100


def routes() -> list[BaseRoute]:
    return [
        Route(BASE, list_page, methods=["GET"]),
        Route(BASE + "/edit", edit_page, methods=["GET"]),
        Route(BASE + "/save", save_rule, methods=["POST"]),
        Route(BASE + "/move", move, methods=["POST"]),
        Route(BASE + "/delete", delete, methods=["POST"]),
    ]


def _list(
    request: Request, who: SignedIn, prop: Property, status: int = 200, **more: Any
) -> Response:
    context = {"property": prop, "rules": prop.rules, "problems": [], **more}
    return render(request, who, "rules.html", context, status)


@page("read")
def list_page(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    if prop is None:
        return not_found(request, who)
    return _list(request, who, prop)


def _schema(flow: Properties, kind: str, key: str) -> dict[str, Any] | None:
    schema = settings_schema(flow.manifest, key, kind)
    if schema is None:
        return None
    hidden = COMPUTED.get(key, ())
    props = {k: v for k, v in (schema.get("properties") or {}).items() if k not in hidden}
    return {**schema, "properties": props}


def _read(flow: Properties, form: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rule the form describes and the settings messages by (kind, index)."""
    rule: dict[str, Any] = {"name": form.get("name", "").strip()}
    errors: dict[Any, Any] = {}
    for kind in RULE_KINDS:
        components: list[dict[str, Any]] = []
        for i in range(_count(form.get(f"{kind}.count", "0"))):
            key = form.get(f"{kind}.{i}.type", "")
            schema = _schema(flow, kind, key)
            if schema is None:
                continue
            settings, problems = forms.parse(schema, form, f"{kind}.{i}.s.")
            component: dict[str, Any] = {"type": key, "settings": settings}
            if kind == "conditions" and form.get(f"{kind}.{i}.negate") == "on":
                component["negate"] = True
            if problems:
                errors[(kind, len(components))] = problems
            components.append(component)
        if components or kind == "events":
            rule[kind] = components
    return rule, errors


def _count(text: str) -> int:
    try:
        return max(0, min(int(text), MAX_COMPONENTS))
    except ValueError:
        return 0


def _apply(
    flow: Properties, prop: Property, rule: dict[str, Any], op: str, form: dict[str, str]
) -> str:
    """Change the drawn rule as a button asked; a message when the button cannot."""
    verb, _, rest = op.partition(":")
    kind, _, where = rest.partition(":")
    if kind not in RULE_KINDS:
        return "" if verb == "addrow" else "Unknown change."
    items: list[dict[str, Any]] = rule.setdefault(kind, [])
    if verb == "add":
        key = form.get(f"add.{kind}", "")
        if _schema(flow, kind, key) is None:
            return "Choose a type to add."
        settings: dict[str, Any] = {}
        dataset = flow.control.dataset(str(prop.extension.get("datasetId") or ""))
        if key == "actions/sendBeacon" and dataset is not None:
            settings = {"schemaId": dataset.schema_id}  # the default dataset's schema
        items.append({"type": key, "settings": settings})
        return ""
    i = _count(where)
    if not 0 <= i < len(items):
        return "Unknown change."
    if verb == "remove":
        items.pop(i)
    elif verb in ("up", "down"):
        to = max(0, min(len(items) - 1, i + (-1 if verb == "up" else 1)))
        items.insert(to, items.pop(i))
    return ""


def _place(
    label_of: dict[tuple[str, int], str], rule: dict[str, Any], problems: list[str]
) -> tuple[dict[tuple[str, int], dict[str, str]], list[str]]:
    """The checker's messages of this rule by component (and mapping row); the rest."""
    placed: dict[tuple[str, int], dict[str, str]] = {}
    rest = []
    for problem in problems:
        for (kind, i), label in label_of.items():
            if not problem.startswith(label):
                continue
            tail, spot = problem[len(label) :], placed.setdefault((kind, i), {})
            mapping = rule.get(kind, [])[i].get("settings", {}).get("mapping") or []
            for k, row in enumerate(mapping if isinstance(mapping, list) else []):
                row_label = f", mapping row {k + 1} ({row.get('path')!r}): "
                if isinstance(row, dict) and tail.startswith(row_label):
                    spot.setdefault(f"mapping.{k}", problem)
                    break
            else:
                spot.setdefault("", problem)
            break
        else:
            rest.append(problem)
    return placed, rest


def _editor(
    request: Request,
    who: SignedIn,
    flow: Properties,
    prop: Property,
    index: int | None,
    rule: dict[str, Any],
    errors: dict[Any, Any] | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> Response:
    errors = dict(errors or {})
    number = len(prop.rules) + 1 if index is None else index + 1
    label_of = {
        (kind, i): f"rule {number} {rule.get('name')!r}, {kind[:-1]} {i + 1} ({c.get('type')})"
        for kind in RULE_KINDS
        for i, c in enumerate(rule.get(kind) or [])
    }
    placed, rest = _place(label_of, rule, problems or [])
    dataset_id = prop.extension.get("datasetId")
    sections = []
    uses_beacon = False
    for kind in RULE_KINDS:
        drawn = []
        for i, component in enumerate(rule.get(kind) or []):
            key = str(component.get("type"))
            schema = _schema(flow, kind, key) or {}
            checker = placed.get((kind, i), {})
            messages = {**errors.get((kind, i), {}), **checker}
            uses_beacon = uses_beacon or key == "actions/sendBeacon"
            if key == "actions/sendBeacon":
                dataset_id = component.get("settings", {}).get("datasetId") or dataset_id
            drawn.append(
                {
                    "index": i,
                    "type": key,
                    "name": display_name(flow.manifest, key),
                    "negate": bool(component.get("negate")),
                    "fields": forms.fields(
                        schema, component.get("settings") or {}, messages, f"{kind}.{i}.s."
                    ),
                    "error": messages.get(""),
                }
            )
        sections.append(
            {
                "kind": kind,
                "title": TITLES[kind],
                "components": drawn,
                "types": type_options(flow.manifest, kind),
            }
        )
    schema_id, tree = "", list[field_tree.FieldRow]()
    if uses_beacon:
        schema_id, tree = field_tree.for_dataset(
            flow.control, request.app.state.registry, prop.org_id, dataset_id
        )
    context = {
        "property": prop,
        "index": "" if index is None else str(index),
        "name": rule.get("name", ""),
        "sections": sections,
        "problems": rest,
        "tree": tree,
        "schema_id": schema_id,
        "name_error": errors.get("#name", ""),
        "invalid": bool(errors or placed),
    }
    return render(request, who, "rule.html", context, status)


MISSING = -1


def _index(text: str, prop: Property) -> int | None:
    """The rule index in ``text`` (None: a new rule; MISSING: no such rule)."""
    if text == "":
        return None
    if not text.isdigit() or int(text) >= len(prop.rules):
        return MISSING
    return int(text)


@page("read")
def edit_page(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    index = None if prop is None else _index(request.query_params.get("index", ""), prop)
    if prop is None or index == MISSING:
        return not_found(request, who)
    rule = {"name": "", "events": []} if index is None else prop.rules[index]
    return _editor(request, who, flow, prop, index, rule)


@page("edit")
def save_rule(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    index = None if prop is None else _index(form.get("index", ""), prop)
    if prop is None or index == MISSING:
        return not_found(request, who)
    rule, errors = _read(flow, form)
    if op := form.get("op", ""):
        problem = _apply(flow, prop, rule, op, form)
        return _editor(request, who, flow, prop, index, rule, problems=[problem] if problem else [])
    if not rule["name"]:
        errors["#name"] = "Enter a name."
    if not rule.get("events"):
        problems = ["Add at least one event: a rule runs when one of its events fires."]
        return _editor(request, who, flow, prop, index, rule, errors, problems, 422)
    if errors:
        return _editor(request, who, flow, prop, index, rule, errors, status=422)
    rules = list(prop.rules)
    if index is None:
        rules.append(rule)
    else:
        rules[index] = rule
    action = "rule.add" if index is None else "rule.edit"
    config = {**prop.config(), "rules": rules}
    if problems := save(flow, who, prop, config, action, name=rule["name"]):
        return _editor(request, who, flow, prop, index, rule, problems=problems, status=422)
    return RedirectResponse(BASE.format(property_id=prop.id) + "?saved=1", status_code=303)


@page("edit")
def move(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    index = None if prop is None else _index(form.get("index", ""), prop)
    step = {"up": -1, "down": 1}.get(form.get("direction", ""))
    if prop is None or index is None or index == MISSING or step is None:
        return not_found(request, who)
    rules = list(prop.rules)
    to = max(0, min(len(rules) - 1, index + step))
    rules.insert(to, rules.pop(index))
    name = rules[to]["name"]
    config = {**prop.config(), "rules": rules}
    if problems := save(flow, who, prop, config, "rule.move", name=name, position=to + 1):
        return _list(request, who, prop, 422, problems=problems)
    return RedirectResponse(BASE.format(property_id=prop.id) + "?moved=1", status_code=303)


@page("edit")
def delete(request: Request, who: SignedIn, form: dict[str, str]) -> Response:
    flow = properties(request)
    prop = owned(request, who, flow)
    index = None if prop is None else _index(form.get("index", ""), prop)
    if prop is None or index is None or index == MISSING:
        return not_found(request, who)
    rule = prop.rules[index]
    if form.get("confirm") != "yes":
        context = {"property": prop, "index": index, "rule": rule}
        return render(request, who, "rule_delete.html", context)
    rules = [r for i, r in enumerate(prop.rules) if i != index]
    config = {**prop.config(), "rules": rules}
    if problems := save(flow, who, prop, config, "rule.delete", name=rule["name"]):
        return _list(request, who, prop, 409, problems=problems)
    return RedirectResponse(BASE.format(property_id=prop.id) + "?deleted=1", status_code=303)

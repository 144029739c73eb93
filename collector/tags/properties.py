"""The property workflow: create, import, export and publish (CLI, demo seed, tests).

Every save and every publish checks the whole property (``PropertyChecker``) against the
manifest and the XDM schemas as they are now; publishing builds the library once, by the
recipe, and stores it as a new immutable version of the environment.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from collector.control import audit
from collector.control.plane import ControlPlane
from collector.control.settings import Settings
from collector.schemas.registry import SchemaRegistry
from collector.tags.builds import Build, Deployment
from collector.tags.checker import PropertyChecker
from collector.tags.manifest import Manifest
from collector.tags.property import (
    PROPERTY_ID,
    Library,
    Property,
    PropertyError,
    check_document_types,
    check_environment,
    config_from_document,
)
from collector.tags.recipe import Recipe
from collector.tags.store import TagStore


def new_property_id(new_hex: Callable[[int], str] = secrets.token_hex) -> str:
    return "PR" + new_hex(16)


class Properties:
    def __init__(
        self,
        store: TagStore,
        control: ControlPlane,
        registry: SchemaRegistry,
        manifest: Manifest,
        *,
        public_url: str,
        new_hex: Callable[[int], str] = secrets.token_hex,
    ) -> None:
        self.store = store
        self.control = control
        self.manifest = manifest
        self.checker = PropertyChecker(manifest, registry, control)
        self.recipe = Recipe(manifest)
        self.public_url = public_url.rstrip("/")
        self._new_hex = new_hex

    @classmethod
    @contextmanager
    def open(cls, settings: Settings) -> Iterator[Properties]:
        """Everything a property needs, opened from settings (for the CLI)."""
        registry = SchemaRegistry.load(settings.schemas_dir)
        control = ControlPlane(settings.control_db_path)
        store = TagStore(settings.control_db_path)
        try:
            yield cls(
                store,
                control,
                registry,
                Manifest(settings.tag_extension_dir),
                public_url=settings.public_url,
            )
        finally:
            store.close()
            control.close()

    def get(self, property_id: str) -> Property:
        found = self.store.property(property_id)
        if found is None:
            raise PropertyError(f"no property {property_id}")
        return found

    def create(
        self,
        *,
        org_id: str,
        name: str,
        document: dict[str, Any] | None = None,
        inlet_id: str | None = None,
        property_id: str | None = None,
    ) -> Property:
        """A new property; the extension configuration defaults to the org's inlet."""
        property_id = property_id or new_property_id(self._new_hex)
        if not PROPERTY_ID.match(property_id):
            raise PropertyError(f"property id must be PR and 32 lowercase hex: {property_id!r}")
        config = self._with_defaults(org_id, config_from_document(document or {}), inlet_id)
        return self.store.insert(property_id, org_id, name, self.checker.check(org_id, config))

    def import_document(self, document: Any) -> tuple[Property, bool]:
        """Create the document's property, or update it when its id exists; (property, created)."""
        config = config_from_document(check_document_types(document))
        org_id, name, property_id = document.get("orgId"), document.get("name"), document.get("id")
        if not isinstance(org_id, str) or not isinstance(name, str) or not name:
            raise PropertyError("a property document needs orgId and name")
        existing = self.store.property(property_id) if isinstance(property_id, str) else None
        if existing is None:
            return self.create(
                org_id=org_id, name=name, document=document, property_id=property_id
            ), True
        if existing.org_id != org_id:
            raise PropertyError(
                f"property {existing.id} belongs to {existing.org_id}, not {org_id}"
            )
        config = self._with_defaults(org_id, config, None)
        return self.store.update(existing.id, name, self.checker.check(org_id, config)), False

    def export(self, property_id: str) -> dict[str, Any]:
        return self.get(property_id).document()

    def build(
        self, property_id: str, *, actor: str, note: str = "", serve_development: bool = True
    ) -> Build:
        """Check the draft again and make the next build of it (served on development)."""
        prop = self.get(property_id)
        config = self.checker.check(prop.org_id, prop.config())
        banner = f"{self.manifest.document['name']} {self.manifest.version} | {prop.id}"
        built = self.recipe.build(config, banner)
        build = self.store.builds.create(
            prop.id, config, built, actor=actor, note=note, serve_development=serve_development
        )
        self._audit(prop, "build", actor, build=build.number, note=note)
        return build

    def step(
        self, property_id: str, number: int, action: str, *, actor: str, note: str = ""
    ) -> Deployment:
        """``submit``, ``approve``, ``reject``, ``promote`` or ``rollback`` a build."""
        prop = self.get(property_id)
        steps = {
            "submit": self.store.builds.submit,
            "approve": self.store.builds.approve,
            "reject": self.store.builds.reject,
            "promote": self.store.builds.promote,
            "rollback": self.store.builds.rollback,
        }
        if action not in steps:
            raise PropertyError(f"unknown step {action!r}; one of {', '.join(steps)}")
        done = steps[action](prop.id, number, actor=actor, note=note)
        self._audit(prop, action, actor, build=number, environment=done.environment, note=note)
        return done

    def publish(self, property_id: str, environment: str, *, actor: str = "") -> Library:
        """The shortcut: build the draft and serve that build on one environment at once."""
        check_environment(environment)
        actor = actor or audit.cli_actor()
        build = self.build(
            property_id, actor=actor, note=f"published to {environment}", serve_development=False
        )
        self.store.builds.publish(build.property_id, build.number, environment, actor=actor)
        self._audit(self.get(property_id), "publish", actor, build=build.number,
                    environment=environment)  # fmt: skip
        return build.library(environment)

    def _audit(self, prop: Property, action: str, actor: str, **detail: object) -> None:
        audit.record(
            self.store.db.conn,
            actor=actor,
            action=f"property.{action}",
            object_type="property",
            object_id=prop.id,
            org_id=prop.org_id,
            detail={k: v for k, v in detail.items() if v not in (None, "")},
        )

    def url(self, library: Library) -> str:
        return self.public_url + library.path

    def _with_defaults(
        self, org_id: str, config: dict[str, Any], inlet_id: str | None
    ) -> dict[str, Any]:
        if self.control.org(org_id) is None:
            raise PropertyError(f"unknown org {org_id!r}")
        extension = config["extension"]
        if not isinstance(extension, dict):
            return config
        extension = {"collectorUrl": self.public_url, "orgId": org_id, **extension}
        if inlet_id is not None:
            extension["inletId"] = inlet_id
        if "inletId" not in extension:
            inlets = [i for i in self.control.inlets(org_id) if i.allowed_origins] or (
                self.control.inlets(org_id)
            )
            if not inlets:
                raise PropertyError(f"org {org_id} has no inlet: create one first")
            extension["inletId"] = inlets[0].id
        inlet = self.control.inlet(str(extension["inletId"]))
        if "datasetId" not in extension and inlet is not None and inlet.default_dataset_id:
            extension["datasetId"] = inlet.default_dataset_id
        return {**config, "extension": extension}

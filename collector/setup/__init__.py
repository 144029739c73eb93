"""The Platform's setup APIs as Adobe's clients call them (docs/setup-apis.md).

catalog.py        /data/foundation/catalog: dataSets over the control plane, batches
dataset_meta.py   a dataset's Catalog-only fields (description, tags) in control.db
batches.py        closed lake segments of a dataset, as Catalog batches
connections.py    Flow Service streaming connections and /data/core/edge/inlet: inlets
identity.py       Identity Service: XIDs, cluster members and history, the v2 graph
namespaces.py     standard and custom identity namespaces
registry_api.py   the Schema Registry's global container, read-only
openapi.py        their OpenAPI operations and the scope each needs (identity_openapi.py,
                  tenant_openapi.py: the Identity Service's and the tenant schemas')
http.py           JSON bodies, integer parameters, string and boolean fields
routes.py         every route, for collector/app.py
"""

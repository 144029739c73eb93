"""The HTTP face shared by every route.

``responses`` renders JSON and the contract's problem bodies; ``protocol`` is uvicorn's
protocol with a deadline and a size cap on request heads; ``openapi`` and
``openapi_schemas`` serve the OpenAPI 3 document at ``/openapi.json``; ``params`` is the
one strict parser of integer query parameters.
"""

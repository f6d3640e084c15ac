"""What the views share about HTTP: the request body and its options, the render order and its
response, keys, problem+json, media types, revisions, the request record and id, the access log,
OpenAPI and merge patches. Imported module by module (``from ..http.body import ...``)."""

"""The API description: valid OpenAPI 3.1, complete, browsable offline, and true to the server
(schemathesis sends generated requests to a live one and finds no 500, no undocumented status)."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import trio
from openapi_spec_validator import validate

from server.app import create_app
from server.http.openapi import Operation, UndescribedRoute, build_document, describe
from server.settings import DEFAULT_TEMPLATES_DIR, Settings
from tests.conftest import LiveServer, StartServer, server_settings
from tests.server.conftest import add_key

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
# `API_FUZZ=full` (make fuzz) runs every phase with many more examples.
FULL_FUZZ = os.environ.get("API_FUZZ") == "full"


@pytest.fixture
async def described(served: LiveServer) -> tuple[LiveServer, dict[str, Any]]:
    answer = await served.client.get("/openapi.json")
    assert answer.status_code == 200
    return served, answer.json()


async def test_the_description_is_valid_openapi_3_1(
    described: tuple[LiveServer, dict[str, Any]],
) -> None:
    _, document = described
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema


async def test_every_route_and_every_template_is_described(start_server: StartServer) -> None:
    server = await start_server()
    app = server.app
    document = (await server.client.get("/openapi.json")).json()
    templates = list(server.state.service.catalogue)
    expected = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        names = templates if "{template}" in path else [None]
        for name in names:
            concrete = path.replace("{template}", name) if name else path
            for method in set(rule.methods or ()) - {"HEAD", "OPTIONS"}:
                expected.add((concrete, method.lower()))
    described_ops = {(p, m) for p, ops in document["paths"].items() for m in ops}
    assert described_ops == expected

    schemas = document["components"]["schemas"]
    for name in templates:
        body = document["paths"][f"/v1/render/{name}"]["post"]["requestBody"]
        ref = body["content"]["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/template.{name}"
        assert f"template.{name}.document" in schemas
    resume = schemas["template.resume-classic"]
    assert resume["properties"]["basics"]["type"] == "object"
    text = json.dumps(document)
    assert "#/definitions/" not in text  # every reference points into the document itself
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "400" in responses, (path, method)
            assert "500" not in responses
            if operation.get("security") != []:
                assert "401" in responses, (path, method)
            for status, response in responses.items():
                if int(status) >= 400 and path != "/readyz":
                    assert "application/problem+json" in response["content"], (path, status)


def test_a_route_without_a_description_is_an_error(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/undescribed")
    async def undescribed() -> str:
        return "?"

    with pytest.raises(UndescribedRoute, match="/undescribed"):
        build_document(app, _empty_catalogue(), "test")

    other = create_app(settings)

    @other.get("/described")
    @describe(Operation("A route with a description", (200,), open=True))
    async def described() -> str:
        return "!"

    assert "/described" in build_document(other, _empty_catalogue(), "test")["paths"]


def _empty_catalogue() -> Any:
    from rendering.catalogue import Catalogue

    return Catalogue({})


async def test_the_docs_page_needs_nothing_but_this_server(
    described: tuple[LiveServer, dict[str, Any]],
) -> None:
    server, _ = described
    client = server.client
    page = await client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources, "the page loads nothing?"
    assert all(source.startswith("/docs/assets/") for source in sources), sources
    start = await client.get("/docs/assets/texrender-docs.js")  # no inline script
    assert b'"/openapi.json"' in start.content
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200, source
        assert len(asset.content) > 100
        assert asset.headers["cache-control"] == "public, max-age=86400"
    bundle = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert b"SwaggerUIBundle" in bundle.content
    missing = await client.get("/docs/assets/../../etc/passwd")
    assert missing.status_code == 404
    assert (await client.get("/docs/assets/index.html")).status_code == 404


async def test_schemathesis_finds_no_500_and_no_undocumented_status(
    start_server: StartServer, work_dir: Path
) -> None:
    settings = server_settings(work_dir, auth="on", template_dirs=(DEFAULT_TEMPLATES_DIR,))
    assert settings.data_dir is not None
    key = await add_key(settings.data_dir, "schemathesis", "fuzzer")
    base = (await start_server(settings)).url
    phases = "examples,coverage,fuzzing" if FULL_FUZZ else "examples,fuzzing"
    examples = "200" if FULL_FUZZ else "15"
    checks = ",".join(
        (
            "not_a_server_error",
            "status_code_conformance",
            "content_type_conformance",
            "response_headers_conformance",
            "response_schema_conformance",
        )
    )
    result = await trio.run_process(
        [
            SCHEMATHESIS,
            "run",
            f"{base}/openapi.json",
            "--header",
            f"Authorization: Bearer {key}",
            "--checks",
            checks,
            "--phases",
            phases,
            "--max-examples",
            examples,
            "--workers",
            "1",  # CPython 3.11's ast.parse is not safe across schemathesis' threads
            "--seed",
            "20261202",
        ],
        capture_stdout=True,
        capture_stderr=True,
        check=False,
        cwd=work_dir.parent,
        env={**os.environ, "NO_COLOR": "1"},
    )
    output = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
    assert result.returncode == 0, output[-6000:]
    generated = re.search(r"(\d+) generated", output)
    assert generated is not None, output[-2000:]
    assert int(generated.group(1)) >= 150, output[-2000:]

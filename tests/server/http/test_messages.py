"""What a new user's first requests are told, against a live server: an empty or null body, a
template name with a slip in it, a field in the wrong format, a body over the limit, data the
template will not print (with "did you mean"), and a document with nothing to print at all."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import StartServer

JSON = {"content-type": "application/json"}
TEMPLATE_DATA = "send the template's data as a JSON object"


def problem(response: httpx.Response, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/problems/{type_}"
    return body


@pytest.mark.parametrize("route", ["/v1/render/resume-classic", "/v1/validate/resume-classic"])
@pytest.mark.parametrize("body", [b"", b"  \r\n"])
async def test_an_empty_body_says_what_to_send(
    client: httpx.AsyncClient, route: str, body: bytes
) -> None:
    answer = problem(await client.post(route, content=body, headers=JSON), 400, "invalid-json")
    assert answer["detail"] == f"the body is empty: {TEMPLATE_DATA}"


async def test_an_empty_body_elsewhere_asks_for_a_json_object(client: httpx.AsyncClient) -> None:
    answer = problem(
        await client.post("/v1/documents", content=b"", headers=JSON), 400, "invalid-json"
    )
    assert answer["detail"] == "the body is empty: send a JSON object"


@pytest.mark.parametrize("route", ["/v1/render/resume-classic", "/v1/validate/resume-classic"])
@pytest.mark.parametrize(
    ("body", "kind"), [(b"null", "null"), (b"[1, 2]", "a list"), (b'"x"', "text")]
)
async def test_a_body_that_is_not_an_object_is_named(
    client: httpx.AsyncClient, route: str, body: bytes, kind: str
) -> None:
    answer = problem(await client.post(route, content=body, headers=JSON), 422, "invalid-data")
    assert answer["detail"] == f"the data is {kind}: {TEMPLATE_DATA}"
    assert answer["errors"] == [{"pointer": "", "message": f"expected a JSON object, got {kind}"}]
    assert "None" not in json.dumps(answer)


@pytest.mark.parametrize(
    ("method", "route"),
    [
        ("POST", "/v1/render/resume-clasic"),
        ("POST", "/v1/validate/resume-clasic"),
        ("GET", "/v1/templates/resume-clasic"),
    ],
)
async def test_a_wrong_template_name_lists_the_templates_and_suggests_the_nearest(
    client: httpx.AsyncClient, method: str, route: str
) -> None:
    response = await client.request(method, route, json={"basics": {"name": "Ada"}})
    answer = problem(response, 404, "template-not-found")
    detail = answer["detail"]
    assert detail.startswith("no template named 'resume-clasic': did you mean 'resume-classic'?")
    listed = detail.split("The templates are: ", 1)[1].split(", ")
    assert {"cover-letter", "resume-classic", "resume-modern"} <= set(listed)
    far = await client.post("/v1/render/invoice", json={})
    assert "did you mean" not in problem(far, 404, "template-not-found")["detail"]


async def test_a_field_in_the_wrong_format_says_what_is_expected(
    client: httpx.AsyncClient,
) -> None:
    data = {"basics": {"name": "Ada", "email": "42"}}
    for route in ("/v1/render/resume-classic", "/v1/validate/resume-classic"):
        answer = problem(await client.post(route, json=data), 422, "invalid-data")
        assert answer["errors"] == [
            {"pointer": "/basics/email", "message": "not an email address (name@example.com)"}
        ]


async def test_a_body_over_the_limit_names_the_limit_and_the_setting(
    start_server: StartServer,
) -> None:
    client = (await start_server(max_body_bytes=1000)).client
    body = json.dumps({"text": "x" * 2000}).encode()
    response = await client.post("/v1/render/echo", content=body, headers=JSON)
    detail = problem(response, 413, "body-too-large")["detail"]
    assert detail == (
        f"the body ({len(body)} bytes) is larger than this server takes: 1000 bytes at most "
        "(the setting TEXRENDER_MAX_BODY_BYTES, or texrender serve --max-body-bytes)"
    )


MISSPELT = {
    "basics": {"nmae": "Ada Lovelace", "label": "Analyst", "image": "https://example.org/a.jpg"},
    "wrok": [{"name": "Analytical Engine"}],
    "work": [
        {
            "name": "Babbage & Co",
            "startDate": "1843-06",
            "endDate": "1842",
            "highlight": ["Wrote the first program"],
            "details": "Notes on the engine",
        }
    ],
    "community": [{"name": "Royal Society"}],
    "courses": ["Mathematics"],
}
UNKNOWN = "unknown key: not in the template's schema, so not printed"
# A section the schema does not know is printed under its own name (nothing written is lost),
# and said so: a slip such as "wrok" is then easy to find.
OWN_SECTION = "unknown key: not in the template's schema: printed as a section of its own"
ALIAS = "another name for 'highlights': read as part of it"
EXPECTED = [
    {"pointer": "/basics/nmae", "message": f"{UNKNOWN}; did you mean 'name'?"},
    {"pointer": "/basics/image", "message": "known key, but this template does not print it"},
    {"pointer": "/wrok", "message": f"{OWN_SECTION}; did you mean 'work'?"},
    {"pointer": "/work/0/highlight", "message": ALIAS},
    {"pointer": "/work/0/details", "message": ALIAS},
    {"pointer": "/work/0/endDate", "message": "end date before the start date: printed as given"},
    {"pointer": "/community", "message": OWN_SECTION},
    {"pointer": "/courses", "message": OWN_SECTION},
]


def by_pointer(warning: dict[str, str]) -> tuple[str, str]:
    return warning["pointer"], warning["message"]


async def test_data_the_template_will_not_print_is_named_with_a_pointer(
    client: httpx.AsyncClient,
) -> None:
    dry = await client.post("/v1/validate/resume-classic", json=MISSPELT)
    assert dry.status_code == 200, dry.text
    assert sorted(dry.json()["warnings"], key=by_pointer) == sorted(EXPECTED, key=by_pointer)
    response = await client.post("/v1/render/resume-classic", json=MISSPELT)
    assert response.status_code == 200, response.text
    header = json.loads(response.headers["x-render-warnings"])
    assert header["count"] == len(EXPECTED)
    assert all(w in EXPECTED for w in header["warnings"])
    strict = await client.post("/v1/validate/resume-classic?strict=true", json=MISSPELT)
    assert strict.json()["warnings"] == []  # strict reading reports nothing it did not refuse


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"basics": {"name": "  "}, "work": []},
        {"meta": {"version": "v1.0.0"}, "basics": {"image": "https://example.org/a.jpg"}},
        {"basics": {"nmae": "Ada", "image": "https://example.org/a.jpg"}},
    ],
)
async def test_a_document_with_nothing_to_print_is_an_error(
    client: httpx.AsyncClient, data: dict[str, Any]
) -> None:
    for route in ("/v1/render/resume-classic", "/v1/validate/resume-classic"):
        answer = problem(await client.post(route, json=data), 422, "empty-document")
        assert answer["detail"].startswith("the document is empty: 'resume-classic' prints nothing")
        assert [e["pointer"] for e in answer["errors"]] == [""]
    dry = (await client.post("/v1/validate/resume-classic", json=data)).json()
    if "nmae" in data.get("basics", {}):  # the warnings come with it, so the slip can be found
        assert any("did you mean 'name'?" in w["message"] for w in dry["warnings"])
    strict = await client.post("/v1/render/resume-classic?strict=true", json=data)
    problem(strict, 422, "empty-document")

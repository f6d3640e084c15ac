"""``/docs`` "Try it out" sends what renders: each template's sample as its example body (not
Swagger's placeholder strings), ``format=png`` offered first (the page shows the picture), and a
PDF offered as a download. Against a live server, with real TeX."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate

from tests.conftest import LiveServer


async def test_each_template_operation_has_its_sample_as_the_example(served: LiveServer) -> None:
    document: dict[str, Any] = (await served.client.get("/openapi.json")).json()
    validate(document)
    catalogue = served.state.service.catalogue
    assert len(catalogue) >= 3
    for template in catalogue.values():
        for path in (f"/v1/render/{template.name}", f"/v1/validate/{template.name}"):
            body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
            (example,) = body["examples"].values()
            assert example["value"] == template.sample, path

    for path, method in (("/v1/documents", "post"), ("/v1/documents/{document_id}", "put")):
        content = document["paths"][path][method]["requestBody"]["content"]["application/json"]
        examples = content["examples"]
        assert set(examples) == {t.name for t in catalogue.values()}
        for name, example in examples.items():
            assert example["value"]["template"] == name
            assert example["value"]["data"] == catalogue.get_template(name).sample
    patch = document["paths"]["/v1/documents/{document_id}"]["patch"]["requestBody"]
    assert patch["content"]["application/merge-patch+json"]["examples"]


async def test_the_examples_render_as_try_it_out_sends_them(served: LiveServer) -> None:
    document: dict[str, Any] = (await served.client.get("/openapi.json")).json()
    operation = document["paths"]["/v1/render/resume-classic"]["post"]
    (format_parameter,) = [p for p in operation["parameters"] if p["name"] == "format"]
    first = next(iter(format_parameter["examples"].values()))
    assert first["value"] == "png"  # what "Try it out" fills in: a picture the page shows
    (sample,) = operation["requestBody"]["content"]["application/json"]["examples"].values()

    picture = await served.client.post(
        "/v1/render/resume-classic", params={"format": first["value"]}, json=sample["value"]
    )
    assert picture.status_code == 200, picture.text
    assert picture.headers["content-type"] == "image/png"
    pdf = await served.client.post("/v1/render/resume-classic", json=sample["value"])
    assert pdf.status_code == 200, pdf.text
    assert pdf.content.startswith(b"%PDF-")

    created = await served.client.post(
        "/v1/documents",
        json=document["paths"]["/v1/documents"]["post"]["requestBody"]["content"][
            "application/json"
        ]["examples"]["cover-letter"]["value"],
    )
    assert created.status_code == 201, created.text


async def test_the_docs_page_offers_a_pdf_as_a_download(served: LiveServer) -> None:
    """Swagger UI shows "Download file" only for an attachment (or octet-stream); the page's
    script marks a PDF answer as one, in the browser only (the server still sends it inline)."""
    script = (await served.client.get("/docs/assets/texrender-docs.js")).text
    assert "responseInterceptor" in script
    assert '"application/pdf"' in script
    assert "attachment" in script

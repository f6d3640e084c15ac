from __future__ import annotations

import httpx

from tests.conftest import pdf_text


async def test_echo_renders(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/render/echo", json={"text": "Hi there"})
    assert response.status_code == 200, response.text
    assert "Hi there" in pdf_text(response.content)

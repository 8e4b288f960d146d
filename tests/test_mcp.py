"""The `ask` API as an MCP tool (Gradio's MCP server; needs the `gradio[mcp]` extra)."""

from __future__ import annotations

import ast
import asyncio
import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

import app
from tests.apps import Launched, launch_fake

mcp = pytest.importorskip("mcp", reason="the gradio[mcp] extra is not installed: "
                          "pip install -e '.[mcp]'")


@pytest.fixture(scope="module")
def mcp_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    launched: Launched = launch_fake(tmp_path_factory.mktemp("mcp"))
    launched.running.stop()
    launched.service.settings = dataclasses.replace(launched.service.settings, mcp=True)
    running = app.start(launched.service)
    yield running.url + "/gradio_api/mcp/"
    running.stop()
    launched.service.close()


async def _session(url: str, question: str) -> tuple[list[Any], Any]:
    from mcp.client.streamable_http import streamablehttp_client

    async with streamablehttp_client(url) as (read, write, _), \
            mcp.ClientSession(read, write) as session:
        await session.initialize()
        tools = (await session.list_tools()).tools
        return tools, await session.call_tool("ask", {"question": question})


def test_ask_is_the_only_mcp_tool_and_answers(mcp_url: str) -> None:
    tools, result = asyncio.run(_session(mcp_url, "Qui dirige l'office central ?"))
    assert [t.name for t in tools] == ["ask"]
    assert tools[0].inputSchema["required"] == ["question"]
    assert result.isError is False
    reply = ast.literal_eval(result.content[0].text)
    assert reply["answer"] == "Jean Dupont dirige l'office central depuis 2019."
    assert reply["citations"][0]["source"] == "office.txt"

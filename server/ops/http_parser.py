"""Refuse to serve on aiohttp's pure-Python HTTP parser.

aiohttp parses requests with llhttp (the C extension ``aiohttp._http_parser``) unless
it is missing or ``AIOHTTP_NO_EXTENSIONS`` is set; it then falls back silently to a
Python parser that has had request-smuggling bugs of its own (conflicting
Content-Length / Transfer-Encoding, lenient header syntax) and is far slower. A
server that quietly runs on it is weaker than the one we test, so ``serve`` stops.
"""

from __future__ import annotations

import os


class PureParserError(RuntimeError):
    pass


def require_c_http_parser() -> None:
    """Raise ``PureParserError`` unless the server's request parser is the C one."""
    from aiohttp import http_parser, web_protocol

    in_use = web_protocol.HttpRequestParser
    if in_use is http_parser.HttpRequestParserPy or not in_use.__module__.endswith("._http_parser"):
        why = (
            "AIOHTTP_NO_EXTENSIONS is set"
            if os.environ.get("AIOHTTP_NO_EXTENSIONS")
            else "aiohttp's C extension (aiohttp._http_parser) is not installed"
        )
        raise PureParserError(
            f"refusing to start: aiohttp would parse HTTP with its pure-Python parser ({why}). "
            "Unset AIOHTTP_NO_EXTENSIONS, or install an aiohttp wheel built with its "
            "C extensions (pip install --force-reinstall aiohttp)."
        )

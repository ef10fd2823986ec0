"""The public half of our signing keys, for anyone who verifies our tokens (MediaMTX …)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from server.api.endpoint import Call, endpoint
from server.appkeys import keyring_key

routes = web.RouteTableDef()

# Short, so a verifier that caches the set learns of a rotation within a minute.
_CACHE = "public, max-age=60"


class Jwk(BaseModel):
    kty: str = Field(description="OKP")
    crv: str = Field(description="Ed25519")
    x: str = Field(description="the public key, base64url")
    kid: str
    use: str = Field(description="sig")
    alg: str = Field(description="EdDSA")


class Jwks(BaseModel):
    keys: list[Jwk]


@routes.get("/.well-known/jwks.json")
@endpoint(
    summary="Join-token verification keys (current and not yet retired)",
    tag="tokens",
    response=Jwks,
)
async def jwks(call: Call) -> web.Response:
    body = Jwks(keys=[Jwk(**k) for k in call.app[keyring_key].jwks()])
    return web.Response(
        body=body.model_dump_json().encode(),
        content_type="application/json",
        headers={"Cache-Control": _CACHE},
    )

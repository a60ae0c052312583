"""Response header names spelled as the real APIs spell them (`Content-Type`, `Sforce-Limit-Info`,
`X-RateLimit-Remaining`).

HTTP header names are case-insensitive, and every well-behaved client treats them so; some widely
used ones do not. airbyte-cdk's `ResponseToFileExtractor` looks up `dict(response.headers)
.get("content-type")`: against Salesforce, which writes `Content-Type`, that finds nothing; against a
server writing `content-type` it finds the value and misreads it as a Link header, and the read fails.
Starlette stores header names in lower case, so this middleware spells them again on the way out,
and the server writes them as given (uvicorn's h11 writer keeps a name's case; its httptools writer
lower-cases every name, which is why the simulator is served with h11).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Names whose spelling is not each dash-separated word capitalised.
_SPELLED = {
    name.lower(): name
    for name in (
        "Sforce-NumberOfRecords", "Sforce-Query-Options", "Sforce-Enable-PKChunking",
        "X-RateLimit-Limit", "X-RateLimit-Remaining", "WWW-Authenticate", "ETag",
    )
}


def spelled(name: bytes) -> bytes:
    """`content-type` → `Content-Type`; the exceptions as the APIs write them."""
    text = name.decode("latin-1")
    known = _SPELLED.get(text.lower())
    if known is None:
        known = "-".join(word[:1].upper() + word[1:] for word in text.split("-"))
    return known.encode("latin-1")


def spell_header_names(app: ASGIApp) -> ASGIApp:
    """`app` with the names of its responses' headers rewritten as `spelled` says; values and
    order unchanged."""

    async def spelling(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_spelled(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [(spelled(name), value) for name, value in message.get("headers", [])]}
            await send(message)

        await app(scope, receive, send_spelled if scope["type"] == "http" else send)

    return spelling

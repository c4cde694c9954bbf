"""Security headers, added to every answer on its way out (an ASGI middleware, so refusals,
redirects and error pages get them too): `X-Content-Type-Options: nosniff` everywhere, and the
page headers (hall.fleet.console.PAGE_HEADERS) under the console's prefix."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NOSNIFF = [(b"x-content-type-options", b"nosniff")]


class SecurityHeaders:
    def __init__(self, app: ASGIApp, pages_prefix: str, page_headers: dict[str, str]):
        self.app, self.pages_prefix = app, pages_prefix
        self.page_headers = NOSNIFF + [(k.lower().encode(), v.encode()) for k, v in page_headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.page_headers if scope["path"].startswith(self.pages_prefix) else NOSNIFF

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

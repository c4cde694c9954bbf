"""Security headers, added to every answer on its way out (an ASGI middleware, so refusals,
redirects and error pages get them too): `X-Content-Type-Options: nosniff` everywhere, and each
page set's own headers under its prefix (hall.fleet.console.PAGE_HEADERS under /console,
hall.workbench.PAGE_HEADERS under /workbench)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NOSNIFF = [(b"x-content-type-options", b"nosniff")]


class SecurityHeaders:
    def __init__(self, app: ASGIApp, pages: dict[str, dict[str, str]]):
        self.app = app
        self.pages = [(prefix, NOSNIFF + [(k.lower().encode(), v.encode()) for k, v in headers.items()])
                      for prefix, headers in pages.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = next((headers for prefix, headers in self.pages if scope["path"].startswith(prefix)), NOSNIFF)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

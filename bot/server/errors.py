"""The error middleware: never a traceback to a voter or a staff member."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from bot.telemetry.logs import failure_site

log = logging.getLogger("suara.app")

MAX_BODY_BYTES = 64 * 1024
INTERNAL_ERROR = {
    "error": "Terjadi kesalahan di server. Silakan coba lagi. / Something went wrong on the server. Please try again."
}


@web.middleware
async def errors(request: web.Request, handler: Callable) -> web.StreamResponse:
    """HTTP errors get a short JSON body, bugs a generic one (and a log line with the path)."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        return web.json_response(
            {"error": f"Pesan terlalu besar (maks. {MAX_BODY_BYTES // 1024} KiB). / Request too large."}, status=413
        )
    except web.HTTPException:
        raise
    except Exception as exc:  # noqa: BLE001 - the type and place only: the message may quote the body
        log.error("request_failed", extra={"path": request.path, "error": type(exc).__name__,
                                           "at": failure_site(exc)})
        return web.json_response(INTERNAL_ERROR, status=500)

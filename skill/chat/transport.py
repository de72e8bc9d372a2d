"""Ways to deliver a request body to the skill: in this process, or over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from skill.chat.conversation import Send, TransportError

HTTP_TIMEOUT_SECONDS = 15.0


def _refusal(status: int, answer: Any) -> TransportError:
    """The error for a non-200 answer, with a hint for the usual local cause."""
    reason = answer.get("error") if isinstance(answer, dict) else None
    message = f"the skill answered HTTP {status}: {reason or 'no reason given'}"
    if status == 503:
        message += " (is the database migrated? run: glimmers db upgrade)"
    return TransportError(message)


def in_process(app: Flask) -> Send:
    """Sends through the app's own POST /alexa route, without a server."""
    client = app.test_client()

    def send(body: dict[str, Any]) -> dict[str, Any]:
        response = client.post("/alexa", json=body)
        answer = response.get_json(silent=True)
        if response.status_code != 200 or not isinstance(answer, dict):
            raise _refusal(response.status_code, answer)
        return answer

    return send


def over_http(url: str, timeout: float = HTTP_TIMEOUT_SECONDS) -> Send:
    """POSTs to a running skill, e.g. `glimmers serve --dev` at http://127.0.0.1:5000/alexa."""
    if urlsplit(url).scheme not in {"http", "https"}:
        raise ValueError(f"expected an http:// or https:// URL, got {url!r}")

    def send(body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            try:
                refused = json.loads(error.read())
            except ValueError:
                refused = None
            raise _refusal(error.code, refused) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise TransportError(f"can't reach {url}: {reason}") from None
        except ValueError:
            raise TransportError(f"{url} did not answer with JSON") from None
        if not isinstance(answer, dict):
            raise TransportError(f"{url} did not answer with a JSON object")
        return answer

    return send

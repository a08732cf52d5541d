"""The GitLab REST calls of the merge-request note, over plain ``requests``.

Every call has a timeout and a bounded answer (:data:`MAX_ANSWER_BYTES`), and runs under
:class:`Retry`:

- a 5xx, a timeout or a failed connection is retried with jittered exponential backoff; a 429
  waits what ``Retry-After`` (or ``RateLimit-Reset``) asks, while the total wait stays under
  ``max_wait_total``;
- a POST is never blindly repeated: ``landed()`` re-reads the notes and finds the one an earlier
  attempt created, and only when there is none is the POST sent again;
- a 401 or 403 fails at once with one line that says what to fix (:class:`Refused`);
- redirects are not followed: the token travels in ``PRIVATE-TOKEN``, a header ``requests``
  would send on to any host a redirect names.

Every message is redacted: the token never appears in what mlci prints.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit

import requests

from mlci import __version__
from mlci.bounded import DocumentError, parse_json, size_text
from mlci.errors import MlciError
from mlci.gitlab.settings import TOKEN_VARIABLE, GitLabSettings

T = TypeVar("T")
MAX_ANSWER_BYTES = 8 << 20  # one page of 100 notes, each up to GitLab's 1,000,000 characters
MAX_PAGES = 100  # 10,000 notes
PER_PAGE = 100
BAD_TOKEN = (
    f"GitLab rejected the token (401 Unauthorized). Check {TOKEN_VARIABLE}: a project access "
    "token with the `api` scope that has not expired."
)


class GitLabError(MlciError):
    """A GitLab API call failed in a way retrying does not fix."""


class Refused(GitLabError):
    """GitLab refused the token (401) or the call (403)."""


@dataclass(frozen=True)
class Note:
    """A merge-request note, as plain values."""

    id: int
    body: str
    author_id: int
    system: bool  # GitLab's own notes ("added 1 commit")


@dataclass(frozen=True)
class Answer:
    status: int
    data: Any
    headers: dict[str, str]  # lower-case names
    next_url: str | None = None


class _Retryable(Exception):
    """A failed attempt worth repeating: what happened, and how long GitLab asked to wait."""

    def __init__(self, summary: str, wait: float | None = None) -> None:
        super().__init__(summary)
        self.summary = summary
        self.wait = wait


@dataclass(frozen=True)
class Retry:
    """How often and how patiently a call is repeated. All waiting goes through ``sleep``."""

    max_attempts: int = 5
    base: float = 0.5
    cap: float = 8.0
    max_wait_total: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    rng: Callable[[], float] = random.random
    clock: Callable[[], float] = time.time

    def backoff(self, attempt: int) -> float:
        """Jittered exponential backoff after failed attempt ``attempt`` (1-based)."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return ceiling / 2 + ceiling / 2 * self.rng()


class GitLabClient:
    """The few GitLab calls the note needs, each under :class:`Retry`, returning plain values."""

    def __init__(
        self,
        settings: GitLabSettings,
        *,
        retry: Retry | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self.retry = retry or Retry()
        self._session = session or requests.Session()
        self._session.headers.update(
            {
                "PRIVATE-TOKEN": settings.token,
                "User-Agent": f"mlci/{__version__}",
                "Accept": "application/json",
            }
        )
        project = quote(settings.project, safe="")
        self._mr = f"{settings.api_url}/projects/{project}/merge_requests/{settings.iid}"

    def close(self) -> None:
        self._session.close()

    def user_id(self) -> int:
        """The id of the token's user (for a project access token, its bot user)."""
        data = self._call("GET", f"{self.settings.api_url}/user", what="reading the token's user")
        return _int_field(data, "id", "the token's user")

    def merge_request(self) -> tuple[str | None, str | None]:
        """The merge request's head commit and web address."""
        what = f"reading merge request !{self.settings.iid}"
        data = self._call("GET", self._mr, what=what)
        if not isinstance(data, dict):
            raise GitLabError(f"GitLab answered {what} with something that is not a merge request.")
        sha, url = data.get("sha"), data.get("web_url")
        return (sha if isinstance(sha, str) else None, url if isinstance(url, str) else None)

    def notes(self) -> list[Note]:
        """Every note of the merge request, all pages, oldest first."""
        query = urlencode({"sort": "asc", "order_by": "created_at", "per_page": PER_PAGE})
        url: str | None = f"{self._mr}/notes?{query}"
        found: list[Note] = []
        what = f"listing the notes of merge request !{self.settings.iid}"
        for _ in range(MAX_PAGES):
            if url is None:
                return found
            answer = self._answer("GET", url, what=what)
            if not isinstance(answer.data, list):
                raise GitLabError(f"GitLab answered {what} with something that is not a list.")
            found += [note for item in answer.data if (note := _note(item)) is not None]
            url = answer.next_url
        if url is None:
            return found
        raise GitLabError(
            f"Merge request !{self.settings.iid} has more than {MAX_PAGES * PER_PAGE} notes; "
            "mlci does not read further to find its own."
        )

    def create_note(self, body: str, *, landed: Callable[[], Note | None]) -> Note:
        what = f"posting the note on merge request !{self.settings.iid}"
        data = self._call(
            "POST", f"{self._mr}/notes", json={"body": body}, what=what, landed=landed
        )
        return data if isinstance(data, Note) else _required_note(data, what)

    def update_note(self, note_id: int, body: str) -> Note:
        what = f"updating the note on merge request !{self.settings.iid}"
        data = self._call("PUT", f"{self._mr}/notes/{note_id}", json={"body": body}, what=what)
        return _required_note(data, what)

    def delete_note(self, note_id: int) -> None:
        """Delete a note; one already gone (an earlier attempt landed) is not an error."""
        what = f"deleting a duplicate note on merge request !{self.settings.iid}"
        try:
            self._call("DELETE", f"{self._mr}/notes/{note_id}", what=what)
        except GitLabError as exc:
            if not str(exc).startswith(f"GitLab rejected {what}: 404"):
                raise

    # -- one call under the retry policy ---------------------------------------------------
    def _call(
        self,
        method: str,
        url: str,
        *,
        what: str,
        json: Any = None,
        landed: Callable[[], Note | None] | None = None,
    ) -> Any:
        return self._answer(method, url, what=what, json=json, landed=landed).data

    def _answer(
        self,
        method: str,
        url: str,
        *,
        what: str,
        json: Any = None,
        landed: Callable[[], Note | None] | None = None,
    ) -> Answer:
        waited = 0.0
        for attempt in range(1, self.retry.max_attempts + 1):
            try:
                return self._once(method, url, json, what)
            except _Retryable as failure:
                if attempt == self.retry.max_attempts:
                    raise GitLabError(
                        f"GitLab kept failing while {what}: {failure.summary} "
                        f"({self.retry.max_attempts} attempts). Re-run the job later."
                    ) from None
                wait = failure.wait if failure.wait is not None else self.retry.backoff(attempt)
                if waited + wait > self.retry.max_wait_total:
                    raise GitLabError(
                        f"GitLab asked mlci to wait {math.ceil(wait)} s while {what} (more than "
                        f"the {self.retry.max_wait_total:g} s mlci waits). Re-run the job later."
                    ) from None
            self.retry.sleep(wait)
            waited += wait
            if method == "POST" and landed is not None and (note := landed()) is not None:
                return Answer(201, note, {})
        raise AssertionError("unreachable")  # the last attempt raises above

    def _once(self, method: str, url: str, json: Any, what: str) -> Answer:
        try:
            response = self._session.request(
                method,
                url,
                json=json,
                timeout=self.settings.timeout,
                allow_redirects=False,
                stream=True,
            )
        except requests.exceptions.Timeout:
            raise _Retryable("the request timed out") from None
        except requests.exceptions.ConnectionError as exc:
            raise _Retryable(f"the connection failed ({type(exc).__name__})") from None
        with response:
            try:
                raw = b"".join(_bounded(response.iter_content(65536), MAX_ANSWER_BYTES))
            except requests.exceptions.RequestException as exc:
                raise _Retryable(f"the answer broke off ({type(exc).__name__})") from None
            headers = {k.lower(): v for k, v in response.headers.items()}
            next_url = self._next_url(response, url)
            status = response.status_code
        data = _json(raw)
        if status < 300:
            if data is None and raw:
                raise GitLabError(f"GitLab answered {what} with something that is not JSON.")
            return Answer(status, data, headers, next_url)
        raise self._failure(status, data, headers, what)

    def _failure(self, status: int, data: Any, headers: dict[str, str], what: str) -> Exception:
        summary = self._redact(_summary(status, data))
        if status == 401:
            return Refused(BAD_TOKEN)
        if status == 403:
            return Refused(
                f"GitLab refused {what} ({summary}): the token may not write notes on this "
                f"project. Give {TOKEN_VARIABLE} a project access token with the `api` scope "
                "and at least the Reporter role."
            )
        if status == 429:
            return _Retryable(summary, _rate_wait(headers, self.retry.clock))
        if status >= 500:
            return _Retryable(summary)
        if 300 <= status < 400:
            return GitLabError(
                f"GitLab answered {what} with a redirect ({status}); mlci does not follow it "
                "with the token. Check CI_API_V4_URL."
            )
        if status == 404:
            summary += " (check CI_PROJECT_ID, CI_MERGE_REQUEST_IID and the token's project)"
        return GitLabError(f"GitLab rejected {what}: {summary}.")

    def _next_url(self, response: requests.Response, url: str) -> str | None:
        """The next page: ``x-next-page`` (empty on the last page), else the ``Link`` header's
        ``next``, which is followed only on the API's own host (the token goes with it)."""
        page = response.headers.get("x-next-page", "").strip()
        if page.isdigit():
            split = urlsplit(url)
            query = [p for p in split.query.split("&") if p and not p.startswith("page=")]
            return split._replace(query="&".join([*query, f"page={page}"])).geturl()
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        if _origin(link) != _origin(self.settings.api_url):
            raise GitLabError(
                f"GitLab's next page of notes is on another host ({_origin(link)[1]}); mlci "
                "does not send the token there. Check CI_API_V4_URL."
            )
        return str(link)

    def _redact(self, text: str) -> str:
        token = self.settings.token
        return text.replace(token, "***") if token else text


def _bounded(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise GitLabError(
                f"GitLab's answer is larger than {size_text(limit)}; mlci stops reading."
            )
        yield chunk


def _json(raw: bytes) -> Any:
    try:
        return parse_json(raw, limit=None) if raw else None
    except (DocumentError, ValueError):
        return None


def _summary(status: int, data: Any) -> str:
    """``404 Not found``, ``400 {"body": ["is too long"]}``: GitLab's ``message`` or ``error``."""
    message = data.get("message") or data.get("error") if isinstance(data, dict) else None
    if isinstance(message, dict):
        message = "; ".join(
            f"{k} {', '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in message.items()
        )
    text = str(message)[:300] if message else _REASONS.get(status, "error")
    return text if text.startswith(str(status)) else f"{status} {text}"


_REASONS = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _rate_wait(headers: dict[str, str], clock: Callable[[], float]) -> float | None:
    """Seconds a 429 asks to wait: ``Retry-After``, else until ``RateLimit-Reset``."""
    try:
        if "retry-after" in headers:
            return max(float(headers["retry-after"]), 0.0)
        if "ratelimit-reset" in headers:
            return max(float(headers["ratelimit-reset"]) - clock(), 0.0) + 1.0
    except ValueError:
        pass
    return None


def _origin(url: str) -> tuple[str, str]:
    split = urlsplit(url)
    return split.scheme.lower(), split.netloc.lower()


def _note(item: Any) -> Note | None:
    """A note from GitLab's JSON, or None for anything malformed."""
    if not isinstance(item, dict):
        return None
    author = item.get("author")
    note_id, body = item.get("id"), item.get("body")
    author_id = author.get("id") if isinstance(author, dict) else None
    if not (isinstance(note_id, int) and isinstance(body, str) and isinstance(author_id, int)):
        return None
    return Note(note_id, body, author_id, item.get("system") is True)


def _required_note(data: Any, what: str) -> Note:
    note = _note(data)
    if note is None:
        raise GitLabError(f"GitLab answered {what} with something that is not a note.")
    return note


def _int_field(data: Any, key: str, what: str) -> int:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, int):
        raise GitLabError(f"GitLab's answer for {what} has no numeric {key!r}.")
    return value

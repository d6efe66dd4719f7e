"""Publishing to YouTube: Data API v3 ``videos.insert`` (resumable), captions, thumbnail.

The protocol, step by step (Google's "Resumable uploads" guide and the method references):

1. Access token from the token endpoint (:mod:`faceless.publishing.google_oauth`),
   cached per process until shortly before it expires.
2. Session: ``POST {upload}/youtube/v3/videos?uploadType=resumable&part=snippet,status``
   with ``X-Upload-Content-Type`` (the stored media's type), ``X-Upload-Content-Length``
   and the video resource (``snippet``: title, description, tags, categoryId,
   defaultLanguage; ``status``: privacyStatus, selfDeclaredMadeForKids,
   containsSyntheticMedia). The session URI comes back in ``Location``; it must be on
   the upload base URL's origin, since the bearer token goes with every chunk.
3. Upload in chunks (multiples of 256 KiB): ``PUT`` with ``Content-Range: bytes
   first-last/total``; ``308`` + ``Range: bytes=0-<last>`` says what arrived, the last
   chunk answers 200/201 with the video's ``id``. After a dropped connection or a 5xx,
   ``PUT`` with ``Content-Range: bytes */total`` asks where the server is and the upload
   resumes from there (at most ``MAX_RESUMES`` times).
4. ``captions.insert`` (``multipart/related``: the caption resource, then the WebVTT
   file) when there is a transcript, and ``thumbnails.set`` (the image as the body) when
   there is a thumbnail. The video is public record by then: a failure of either is
   reported in the receipt, never a reason to fail (a retry would upload twice).

The media is the rendered video, uploaded by its owner (``PUT /videos/{id}/media``),
stored at ``<var>/media/<video_id>`` with its content type in the video's row; both
reach here in the package. Quota (``quotaExceeded``) and rate limits before the video
exists are :class:`PublishDeferredError`; refused credentials are
:class:`CredentialsRefusedError`. An upload is not idempotent: a worker that dies after
step 3 but before committing makes the retry upload again (YouTube offers no
idempotency key for inserts).
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import anyio

from faceless.db.base import utcnow
from faceless.publishing.base import (
    PublishDeferredError,
    PublishError,
    PublishPackage,
    PublishReceipt,
)
from faceless.publishing.google_oauth import TOKENS, OAuthClient, TokenCache
from faceless.publishing.quota import next_reset
from faceless.publishing.youtube_api import (
    QuotaExceededError,
    RateLimitedError,
    Retry,
    YouTubeApi,
    json_of,
)
from faceless.secrets.base import Secret
from faceless.settings import YouTubeSettings

if TYPE_CHECKING:
    import httpx

CHUNK = 8 * 1024 * 1024  # a multiple of 256 KiB, as the protocol requires
BLOCK = 256 * 1024
MAX_RESUMES = 5
RATE_LIMIT_PAUSE = timedelta(minutes=15)


class YouTubePublisher:
    name = "youtube"

    def __init__(
        self,
        *,
        client_id: Secret,
        client_secret: Secret,
        refresh_token: Secret,
        media_dir: Path,
        settings: YouTubeSettings | None = None,
        account: str = "default",
        timeout: float = 60.0,
        chunk_size: int = CHUNK,
        retry: Retry | None = None,
        tokens: TokenCache = TOKENS,
    ) -> None:
        if chunk_size <= 0 or chunk_size % BLOCK:
            raise ValueError("chunk_size must be a positive multiple of 256 KiB")
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self.media_dir = media_dir
        self.settings = settings or YouTubeSettings()
        self.account = account
        self._timeout = timeout
        self._chunk = chunk_size
        self._retry = retry or Retry()
        self._tokens = tokens

    @property
    def oauth(self) -> OAuthClient:
        return OAuthClient(
            self.settings.token_url, self._client_id, self._client_secret, self._refresh_token
        )

    def media_path(self, video_id: uuid.UUID) -> Path:
        return self.media_dir / str(video_id)

    async def publish(self, package: PublishPackage) -> PublishReceipt:
        import httpx

        media = package.media_path or self.media_path(package.video_id)
        try:
            size = (await anyio.Path(media).stat()).st_size
        except FileNotFoundError:
            raise PublishError("No media has been uploaded for this video.") from None
        if package.media_content_type is None:
            raise PublishError("No media has been uploaded for this video.")
        if size == 0:
            raise PublishError("The rendered video file is empty.")
        try:
            async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client:
                api = YouTubeApi(client, self.oauth, self._tokens, self._retry)
                return await self._publish(api, package, media, size)
        except httpx.HTTPError as exc:
            # Transport failures are retried below; this is what escaped them.
            raise PublishError("YouTube could not be reached.") from exc

    async def _publish(
        self, api: YouTubeApi, package: PublishPackage, media: Path, size: int
    ) -> PublishReceipt:
        try:
            session_uri = await self._start_session(api, package, size)
        except QuotaExceededError as exc:
            raise PublishDeferredError(
                str(exc), not_before=next_reset(utcnow()), quota_spent=True
            ) from exc
        except RateLimitedError as exc:
            raise PublishDeferredError(str(exc), not_before=utcnow() + RATE_LIMIT_PAUSE) from exc
        video_id = await self._upload(api, session_uri, media, size)
        details = {}
        if package.captions_vtt is not None:
            details["captions"] = await self._captions(api, video_id, package)
        if package.thumbnail_path is not None:
            details["thumbnail"] = await self._thumbnail(api, video_id, package)
        return PublishReceipt(self.name, f"youtube:{video_id}", details=details)

    def _upload_url(self, resource: str) -> str:
        return f"{self.settings.upload_base_url}/youtube/v3/{resource}"

    async def _start_session(self, api: YouTubeApi, package: PublishPackage, size: int) -> str:
        response = await api.request(
            "POST",
            self._upload_url("videos"),
            params={"uploadType": "resumable", "part": "snippet,status"},
            headers={
                "X-Upload-Content-Type": package.media_content_type or "video/mp4",
                "X-Upload-Content-Length": str(size),
            },
            json=video_resource(package),
        )
        location = response.headers.get("Location")
        if response.status_code != 200 or not location:
            raise PublishError(f"YouTube refused the upload (HTTP {response.status_code}).")
        expected = urlsplit(self.settings.upload_base_url)
        actual = urlsplit(location)
        if (actual.scheme, actual.netloc) != (expected.scheme, expected.netloc):
            raise PublishError("YouTube answered with an upload session on an unexpected host.")
        return str(location)

    async def _upload(self, api: YouTubeApi, session_uri: str, media: Path, size: int) -> str:
        import httpx

        offset, resumes = 0, 0
        async with await anyio.open_file(media, "rb") as handle:
            while True:
                await handle.seek(offset)
                data = await handle.read(min(self._chunk, size - offset))
                last = offset + len(data) - 1
                try:
                    response = await api.once(
                        "PUT",
                        session_uri,
                        headers={"Content-Range": f"bytes {offset}-{last}/{size}"},
                        content=data,
                    )
                except httpx.TransportError:
                    response = None
                if response is not None and response.status_code in (200, 201):
                    return _video_id(response)
                if response is not None and response.status_code == 308:
                    received = _received(response)
                    if received > offset:
                        offset = received
                        continue
                    # No progress: treated like an interruption (bounded below).
                if response is not None and response.status_code < 500:
                    raise PublishError(
                        f"YouTube rejected the upload (HTTP {response.status_code})."
                    )
                resumes += 1
                if resumes > MAX_RESUMES:
                    raise PublishError("The upload to YouTube kept failing; it was abandoned.")
                status = await self._status(api, session_uri, size)
                if isinstance(status, str):
                    return status
                offset = status

    async def _status(self, api: YouTubeApi, session_uri: str, size: int) -> int | str:
        """Where the interrupted upload stands: bytes received, or the video id if complete."""
        response = await api.request(
            "PUT", session_uri, headers={"Content-Range": f"bytes */{size}"}, content=b""
        )
        if response.status_code in (200, 201):
            return _video_id(response)
        if response.status_code != 308:
            raise PublishError(f"YouTube lost the upload session (HTTP {response.status_code}).")
        return _received(response)

    async def _captions(self, api: YouTubeApi, video_id: str, package: PublishPackage) -> str:
        assert package.captions_vtt is not None
        boundary = f"faceless-{uuid.uuid4().hex}"
        resource = {
            "snippet": {
                "videoId": video_id,
                "language": package.captions_language or "en",
                "name": "Transcript",
                "isDraft": False,
            }
        }
        body = (
            f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
            f"{json.dumps(resource)}\r\n"
            f"--{boundary}\r\nContent-Type: text/vtt\r\n\r\n"
            f"{package.captions_vtt}\r\n--{boundary}--\r\n"
        ).encode()
        return await self._after_upload(
            api,
            self._upload_url("captions"),
            params={"part": "snippet", "uploadType": "multipart"},
            headers={"Content-Type": f"multipart/related; boundary={boundary}"},
            content=body,
        )

    async def _thumbnail(self, api: YouTubeApi, video_id: str, package: PublishPackage) -> str:
        assert package.thumbnail_path is not None
        try:
            image = await anyio.Path(package.thumbnail_path).read_bytes()
        except FileNotFoundError:
            return "missing"
        return await self._after_upload(
            api,
            self._upload_url("thumbnails/set"),
            params={"videoId": video_id, "uploadType": "media"},
            headers={"Content-Type": package.thumbnail_content_type or "image/jpeg"},
            content=image,
        )

    async def _after_upload(self, api: YouTubeApi, url: str, **kwargs: object) -> str:
        """``uploaded`` or why not, for the receipt: the video is already on YouTube."""
        try:
            response = await api.request("POST", url, **kwargs)
        except QuotaExceededError:
            return "failed: quota exceeded"
        except PublishError:
            return "failed: YouTube unavailable"
        if response.status_code in (200, 201):
            return "uploaded"
        return f"failed: HTTP {response.status_code}"


def video_resource(package: PublishPackage) -> dict[str, object]:
    """The ``snippet`` and ``status`` parts of the video resource sent with the session."""
    snippet: dict[str, object] = {
        "title": package.title,
        "description": package.description,
        "tags": list(package.tags),
        "categoryId": package.category_id,
    }
    if package.default_language:
        snippet["defaultLanguage"] = package.default_language
    return {
        "snippet": snippet,
        "status": {
            "privacyStatus": package.privacy,
            "selfDeclaredMadeForKids": package.made_for_kids,
            "containsSyntheticMedia": package.contains_synthetic_media,
        },
    }


def _received(response: httpx.Response) -> int:
    """Bytes the server holds, from a 308's ``Range: bytes=0-<last>`` (absent: none)."""
    _, _, last = response.headers.get("Range", "").partition("-")
    return int(last) + 1 if last.isdigit() else 0


def _video_id(response: httpx.Response) -> str:
    video_id = json_of(response).get("id")
    if not isinstance(video_id, str) or not video_id:
        raise PublishError("YouTube accepted the upload but returned no video id.")
    return video_id

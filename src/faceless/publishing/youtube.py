"""Publishing to YouTube with the Data API v3 ``videos.insert`` resumable upload.

The protocol, step by step (Google's "Resumable uploads" guide for the Data API):

1. Access token: ``POST https://oauth2.googleapis.com/token`` with the form fields
   ``grant_type=refresh_token``, ``client_id``, ``client_secret`` and
   ``refresh_token`` answers ``{"access_token": ..., "expires_in": ...}``. The three
   values are the secrets ``YOUTUBE_CLIENT_ID``, ``YOUTUBE_CLIENT_SECRET`` and
   ``YOUTUBE_REFRESH_TOKEN`` (an offline grant for the ``youtube.upload`` and
   ``youtube.force-ssl`` scopes); they are revealed only to build that request.
2. Session: ``POST https://www.googleapis.com/upload/youtube/v3/videos
   ?uploadType=resumable&part=snippet,status`` with ``Authorization: Bearer``,
   ``X-Upload-Content-Type`` and ``X-Upload-Content-Length`` and the JSON resource
   (``snippet``: title, description, tags; ``status``: privacyStatus). The session
   URI comes back in ``Location``.
3. Upload: ``PUT <session URI>`` with the bytes. 200/201 carries the video resource
   (its ``id``). After a dropped connection or a 5xx, ``PUT`` an empty body with
   ``Content-Range: bytes */<size>``: 308 with ``Range: bytes=0-<last>`` says how much
   arrived, and the upload resumes with ``Content-Range: bytes <last+1>-<size-1>/<size>``.
4. Captions (when there is a transcript): ``POST https://www.googleapis.com/upload/
   youtube/v3/captions?part=snippet&uploadType=multipart``, a ``multipart/related``
   body of the JSON snippet (videoId, language, name) and the WebVTT file.

The media itself is the rendered video, which this service does not make: the owner
uploads it (``PUT /videos/{id}/media``), stored at ``<var>/media/<video_id>`` with its
content type in the video's row; both reach here in the package. Unlike the outbox, an
upload is not idempotent: a worker that dies after step 3 but before committing
makes the retry upload again (YouTube offers no idempotency key for inserts).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from faceless.publishing.base import PublishError, PublishPackage, PublishReceipt
from faceless.secrets.base import Secret

if TYPE_CHECKING:
    import httpx

TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
UPLOAD_URL = "https://www.googleapis.com/upload/youtube/v3/videos"
CAPTIONS_URL = "https://www.googleapis.com/upload/youtube/v3/captions"
CHUNK = 8 * 1024 * 1024
MAX_RESUMES = 5
SECRET_NAMES = ("YOUTUBE_CLIENT_ID", "YOUTUBE_CLIENT_SECRET", "YOUTUBE_REFRESH_TOKEN")


class YouTubePublisher:
    name = "youtube"

    def __init__(
        self,
        *,
        client_id: Secret,
        client_secret: Secret,
        refresh_token: Secret,
        media_dir: Path,
        timeout: float = 60.0,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self.media_dir = media_dir
        self._timeout = timeout

    def media_path(self, video_id: uuid.UUID) -> Path:
        return self.media_dir / str(video_id)

    async def publish(self, package: PublishPackage) -> PublishReceipt:
        import httpx  # optional at import time: only this publisher needs it

        media = package.media_path or self.media_path(package.video_id)
        try:
            size = (await anyio.Path(media).stat()).st_size
        except FileNotFoundError:
            raise PublishError("No media has been uploaded for this video.") from None
        if package.media_content_type is None:
            raise PublishError("No media has been uploaded for this video.")
        try:
            async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client:
                token = await self._access_token(client)
                headers = {"Authorization": f"Bearer {token}"}
                session_uri = await self._start_session(client, headers, package, size)
                video_id = await self._upload(client, headers, session_uri, media, size)
                details = {}
                if package.captions_vtt is not None:
                    # The video is public record by now: failing the job here would
                    # make a retry upload it twice, so a caption failure is reported.
                    ok = await self._upload_captions(client, headers, video_id, package)
                    details["captions"] = "uploaded" if ok else "failed"
        except httpx.HTTPError as exc:
            raise PublishError("YouTube could not be reached.") from exc
        return PublishReceipt(self.name, f"youtube:{video_id}", details=details)

    async def _access_token(self, client: httpx.AsyncClient) -> str:
        response = await client.post(
            TOKEN_URL,
            data={
                "grant_type": "refresh_token",
                "client_id": self._client_id.reveal(),
                "client_secret": self._client_secret.reveal(),
                "refresh_token": self._refresh_token.reveal(),
            },
        )
        if response.status_code != 200:
            raise PublishError("YouTube refused the configured OAuth credentials.")
        token = _json(response).get("access_token")
        if not isinstance(token, str) or not token:
            raise PublishError("YouTube returned no access token.")
        return token

    async def _start_session(
        self,
        client: httpx.AsyncClient,
        headers: dict[str, str],
        package: PublishPackage,
        size: int,
    ) -> str:
        resource = {
            "snippet": {
                "title": package.title,
                "description": package.description,
                "tags": list(package.tags),
            },
            "status": {"privacyStatus": package.privacy, "selfDeclaredMadeForKids": False},
        }
        response = await client.post(
            UPLOAD_URL,
            params={"uploadType": "resumable", "part": "snippet,status"},
            headers={
                **headers,
                "X-Upload-Content-Type": package.media_content_type or "video/mp4",
                "X-Upload-Content-Length": str(size),
            },
            json=resource,
        )
        location = response.headers.get("Location")
        if response.status_code != 200 or not location:
            raise PublishError(f"YouTube refused the upload (HTTP {response.status_code}).")
        return str(location)

    async def _upload(
        self,
        client: httpx.AsyncClient,
        headers: dict[str, str],
        session_uri: str,
        media: Path,
        size: int,
    ) -> str:
        import httpx

        offset = 0
        for _attempt in range(MAX_RESUMES + 1):
            try:
                response = await client.put(
                    session_uri,
                    headers={
                        **headers,
                        "Content-Length": str(size - offset),
                        "Content-Range": f"bytes {offset}-{size - 1}/{size}",
                    },
                    content=_read_from(media, offset),
                )
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code in (200, 201):
                video_id = _json(response).get("id")
                if not isinstance(video_id, str):
                    raise PublishError("YouTube accepted the upload but returned no video id.")
                return video_id
            if response is not None and response.status_code < 500 and response.status_code != 308:
                raise PublishError(f"YouTube rejected the upload (HTTP {response.status_code}).")
            offset = await self._received(client, headers, session_uri, size)
        raise PublishError("The upload to YouTube kept failing; it will not be retried now.")

    async def _received(
        self, client: httpx.AsyncClient, headers: dict[str, str], session_uri: str, size: int
    ) -> int:
        """How many bytes YouTube has, from a status query (308 + Range)."""
        await anyio.sleep(1)
        response = await client.put(
            session_uri, headers={**headers, "Content-Range": f"bytes */{size}"}
        )
        if response.status_code != 308:
            raise PublishError(f"YouTube lost the upload session (HTTP {response.status_code}).")
        received = response.headers.get("Range", "")  # "bytes=0-<last>"
        _, _, last = received.partition("-")
        return int(last) + 1 if last.isdigit() else 0

    async def _upload_captions(
        self,
        client: httpx.AsyncClient,
        headers: dict[str, str],
        video_id: str,
        package: PublishPackage,
    ) -> bool:
        import json

        assert package.captions_vtt is not None
        boundary = f"faceless-{uuid.uuid4().hex}"
        snippet = {
            "snippet": {
                "videoId": video_id,
                "language": package.captions_language or "en",
                "name": "Transcript",
            }
        }
        body = (
            f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
            f"{json.dumps(snippet)}\r\n"
            f"--{boundary}\r\nContent-Type: text/vtt\r\n\r\n"
            f"{package.captions_vtt}\r\n--{boundary}--\r\n"
        ).encode()
        import httpx

        try:
            response = await client.post(
                CAPTIONS_URL,
                params={"part": "snippet", "uploadType": "multipart"},
                headers={**headers, "Content-Type": f"multipart/related; boundary={boundary}"},
                content=body,
            )
        except httpx.HTTPError:
            return False
        return response.status_code in (200, 201)


async def _read_from(path: Path, offset: int) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as handle:
        await handle.seek(offset)
        while chunk := await handle.read(CHUNK):
            yield chunk


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}

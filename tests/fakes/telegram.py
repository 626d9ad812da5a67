"""An in-memory Telegram Bot API behind PTB's ``BaseRequest``: the real Application talks to it.

It answers the methods Dazi uses like Telegram does, records every call, delivers updates through
``getUpdates``, and can be told to fail a method (with an error or a 429 ``retry_after``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from telegram.request import BaseRequest, RequestData

from tests.fakes.waiting import PATIENCE

__all__ = ["ApiCall", "Failure", "FakeBotAPI", "FakeChat", "FakeUser"]

BOT_ID = 777000111
BOT_USERNAME = "dazi_test_bot"
_JSON_FIELDS = {"reply_markup", "reply_parameters", "entities", "commands", "allowed_updates"}


@dataclass(frozen=True)
class FakeUser:
    id: int
    first_name: str
    language_code: str | None = "en"
    username: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            data["language_code"] = self.language_code
        if self.username:
            data["username"] = self.username
        return data


@dataclass(frozen=True)
class FakeChat:
    id: int
    type: str = "private"
    title: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title:
            data["title"] = self.title
        return data

    @classmethod
    def private(cls, user: FakeUser) -> FakeChat:
        return cls(id=user.id, type="private")


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    at: float
    result: Any = None
    #: Uploaded files (sendDocument...): part name -> (file name, content).
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


@dataclass
class Failure:
    """A planned error answer: ``retry_after`` makes it a 429 flood-control answer."""

    description: str = "Bad Request: something went wrong"
    code: int = 400
    retry_after: int | None = None
    when: Callable[[dict[str, Any]], bool] | None = None
    #: Telegram did the work (the message is in the chat) and still answered with this error.
    delivered: bool = False


@dataclass
class _State:
    updates: list[dict[str, Any]] = field(default_factory=list)
    update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    message_ids: itertools.count = field(default_factory=lambda: itertools.count(1000))


class FakeBotAPI(BaseRequest):
    """The Bot API, in memory."""

    def __init__(
        self, *, clock: Callable[[], datetime] | None = None, keep_calls: bool = True
    ) -> None:
        """``keep_calls=False`` (benchmarks) keeps only ``sent_log``: (chat id, time) per send."""
        self.keep_calls = keep_calls
        self.sent_log: list[tuple[int, float]] = []
        self.calls: list[ApiCall] = []
        self.failures: dict[str, list[Failure]] = {}
        self.blocked_chats: set[int] = set()
        self.admins: set[int] = set()
        self._state = _State()
        self._changed = asyncio.Event()
        self.delivered_update_id = 0
        #: The highest update id the bot confirmed (asked for an offset past it): PTB asks
        #: again only after it has put the previous batch on its queue.
        self.confirmed_update_id = 0
        self.sent_count = 0
        self._clock = clock or (lambda: datetime.now(UTC))
        #: Files users sent, by file id: what getFile and the file server serve.
        self.files: dict[str, bytes] = {}
        self.file_downloads: list[str] = []
        self.file_base_url = ""
        self._file_runner: web.AppRunner | None = None
        self.bot_user = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Dazi",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    # -- BaseRequest -------------------------------------------------------------------------

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params = _decode(request_data.parameters) if request_data else {}
        if endpoint == "getUpdates":
            return 200, _ok(await self._get_updates(params))
        failure = self._planned_failure(endpoint, params)
        if failure is None and params.get("chat_id") in self.blocked_chats:
            failure = Failure("Forbidden: bot was blocked by the user", 403)
        call = ApiCall(endpoint, params, asyncio.get_running_loop().time())
        if request_data is not None and request_data.contains_files:
            call.files = {
                name: (str(part[0]), _content(part[1]))
                for name, part in request_data.multipart_data.items()
            }
        if failure is None or failure.delivered:
            handler = getattr(self, f"_api_{endpoint}", None)
            call.result = handler(params) if handler else True
        if self.keep_calls:
            self.calls.append(call)
        if endpoint == "sendMessage" and (failure is None or failure.delivered):
            self.sent_count += 1
            self.sent_log.append((params["chat_id"], call.at))
        self._notify()
        if failure is not None:
            return failure.code, _error(failure)
        return 200, _ok(call.result)

    # -- files, served over real HTTP on loopback like api.telegram.org/file ----------------

    async def start_file_server(self) -> str:
        """Serve ``self.files`` at ``file_base_url`` (the bot's TELEGRAM_FILE_BASE_URL)."""
        if self._file_runner is None:
            app = web.Application()
            app.router.add_get("/file/{token}/{path:.+}", self._serve_file)
            self._file_runner = web.AppRunner(app, access_log=None)
            await self._file_runner.setup()
            site = web.TCPSite(self._file_runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.file_base_url = f"http://127.0.0.1:{port}/file/bot"
        return self.file_base_url

    async def stop_file_server(self) -> None:
        if self._file_runner is not None:
            await self._file_runner.cleanup()
            self._file_runner = None

    async def _serve_file(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["path"].removeprefix("files/")
        data = self.files.get(file_id)
        self.file_downloads.append(file_id)
        if data is None:
            return web.Response(status=404)
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        await response.prepare(request)
        for start in range(0, len(data), 256 * 1024):
            await response.write(data[start : start + 256 * 1024])
        await response.write_eof()
        return response

    def add_file(self, data: bytes, *, file_id: str | None = None) -> dict[str, Any]:
        """Keep a file a user is about to send; returns its id fields and size."""
        file_id = file_id or f"file-{len(self.files) + 1}"
        self.files[file_id] = data
        return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": len(data)}

    # -- driving the bot from a test ---------------------------------------------------------

    def fail(self, method: str, failure: Failure, *, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` fail."""
        self.failures.setdefault(method, []).extend([failure] * times)

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._state.update_ids), **update}
        self._state.updates.append(update)
        self._notify()
        return update

    @property
    def last_update_id(self) -> int:
        return self._state.updates[-1]["update_id"] if self._state.updates else 0

    @property
    def unconfirmed(self) -> bool:
        """Whether an update was handed out that the bot has not confirmed yet (it may still be
        on its way to PTB's queue, e.g. while the durable inbox writes it)."""
        return self.confirmed_update_id < self.delivered_update_id

    def push_text(
        self,
        user: FakeUser,
        text: str,
        *,
        chat: FakeChat | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A user sends a text message; returns the message as Telegram would show it."""
        message = self._user_message(user, chat or FakeChat.private(user), text=text)
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        self.push_update({"message": message})
        return message

    def push_message(self, user: FakeUser, chat: FakeChat | None = None, **fields: Any) -> dict:
        """A user sends a message with arbitrary fields (photo, sticker, new_chat_members...)."""
        message = self._user_message(user, chat or FakeChat.private(user), **fields)
        self.push_update({"message": message})
        return message

    def push_callback(self, user: FakeUser, message: dict[str, Any], data: str) -> None:
        """A user taps an inline button under ``message``."""
        self.push_update(
            {
                "callback_query": {
                    "id": str(next(self._state.update_ids)),
                    "from": user.as_dict(),
                    "chat_instance": "1",
                    "message": message,
                    "data": data,
                }
            }
        )

    async def wait_for(self, condition: Callable[[], Any], timeout: float = PATIENCE) -> Any:
        """Wait until ``condition()`` is truthy (checked at every API call); return its value."""
        async with asyncio.timeout(timeout):
            while not (result := condition()):
                await self._changed.wait()
            return result

    def sent_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Parameters of every sendMessage (optionally to one chat), in order."""
        return [
            call.params
            for call in self.calls
            if call.method == "sendMessage"
            and call.result is not None
            and (chat_id is None or call.params.get("chat_id") == chat_id)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [params["text"] for params in self.sent_messages(chat_id)]

    def calls_of(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    async def wait_for_messages(
        self, count: int, chat_id: int | None = None, timeout: float = PATIENCE
    ) -> Any:
        """Wait until ``count`` messages were sent (to ``chat_id``); return all of them."""
        return await self.wait_for(
            lambda: (msgs := self.sent_messages(chat_id)) and len(msgs) >= count and msgs,
            timeout,
        )

    # -- the API -----------------------------------------------------------------------------

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._bot_message(params["chat_id"], text=params["text"])
        if "inline_keyboard" in params.get("reply_markup", {}):
            # Telegram shows inline keyboards on the message; other markups are not echoed.
            message["reply_markup"] = params["reply_markup"]
        return message

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._bot_message(params["chat_id"], text=params["text"], id=params["message_id"])

    def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._bot_message(
            params["chat_id"], document={"file_id": "doc", "file_unique_id": "d"}
        )

    def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = params["file_id"]
        data = self.files.get(file_id)
        result: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"u-{file_id}"}
        if data is not None:
            result["file_size"] = len(data)
        result["file_path"] = f"files/{file_id}"
        return result

    def _api_sendVoice(self, params: dict[str, Any]) -> dict[str, Any]:
        voice = {"file_id": "sent-voice", "file_unique_id": "sv", "duration": 1}
        return self._bot_message(params["chat_id"], voice=voice)

    def _api_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        user = {"id": params["user_id"], "is_bot": False, "first_name": "x"}
        if params["user_id"] not in self.admins:
            return {"status": "member", "user": user}
        rights = (
            "can_be_edited is_anonymous can_manage_chat can_delete_messages can_manage_video_chats"
            " can_restrict_members can_promote_members can_change_info can_invite_users"
            " can_post_stories can_edit_stories can_delete_stories"
        )
        return {"status": "administrator", "user": user, **dict.fromkeys(rights.split(), False)}

    # -- internals ---------------------------------------------------------------------------

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset", 0)
        self.confirmed_update_id = max(self.confirmed_update_id, offset - 1)
        self._state.updates = [u for u in self._state.updates if u["update_id"] >= offset]
        if not self._state.updates and params.get("timeout", 0):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.2):
                    while not self._state.updates:
                        await self._changed.wait()
        updates = list(self._state.updates)
        if updates:
            self.delivered_update_id = max(self.delivered_update_id, updates[-1]["update_id"])
        return updates

    def _planned_failure(self, endpoint: str, params: dict[str, Any]) -> Failure | None:
        planned = self.failures.get(endpoint)
        if not planned:
            return None
        for index, failure in enumerate(planned):
            if failure.when is None or failure.when(params):
                return planned.pop(index)
        return None

    def _notify(self) -> None:
        """Wake every waiter; later waiters wait on a fresh event."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _user_message(self, user: FakeUser, chat: FakeChat, **fields: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._state.message_ids),
            "from": user.as_dict(),
            "chat": chat.as_dict(),
            "date": int(self._clock().timestamp()),
            **fields,
        }

    def _bot_message(self, chat_id: int, *, id: int | None = None, **fields: Any) -> dict:
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        if chat_id < 0:
            chat["title"] = "Group"
        return {
            "message_id": id or next(self._state.message_ids),
            "from": self.bot_user,
            "chat": chat,
            "date": int(self._clock().timestamp()),
            **fields,
        }


def _decode(parameters: dict[str, Any]) -> dict[str, Any]:
    """PTB sends nested objects as JSON strings; decode them for easy assertions."""
    return {
        key: json.loads(value) if key in _JSON_FIELDS and isinstance(value, str) else value
        for key, value in parameters.items()
    }


def _content(data: Any) -> bytes:
    return data if isinstance(data, bytes) else data.read()


def _ok(result: Any) -> bytes:
    return json.dumps({"ok": True, "result": result}).encode()


def _error(failure: Failure) -> bytes:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": 429 if failure.retry_after is not None else failure.code,
        "description": failure.description,
    }
    if failure.retry_after is not None:
        body["description"] = f"Too Many Requests: retry after {failure.retry_after}"
        body["parameters"] = {"retry_after": failure.retry_after}
    return json.dumps(body).encode()

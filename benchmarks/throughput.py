"""Throughput, CPU, latency and memory of Dazi on the real wire, beside a bare PTB + openai bot.

Every part runs as its own process, as in production, and they talk HTTP over loopback only:

- the bot: Dazi started as users start it (``python -m bot`` with settings in the environment,
  its SQLite database pre-seeded), or the bare bot (``throughput.py --role bare``:
  python-telegram-bot + openai, one non-streamed completion per message, no storage);
- a fake Telegram Bot API (``--role telegram``, aiohttp): long-polling ``getUpdates``,
  ``sendMessage`` (refusing texts over 4,096 characters as Telegram does), ``sendChatAction``,
  ``sendMessageDraft``, ``editMessageText``, ``sendDocument`` and the start-up calls. It also
  plays the users: it pushes their messages on a schedule and times what the bot shows them;
- a fake OpenAI-compatible server (``--role llm``, aiohttp) that streams answers at a realistic
  pace: the first words after 150-350 ms (one answer in ten takes 0.8-1.5 s to start), then
  three tokens every 20-30 ms, one server-sent event per token, about 60 tokens in all; one
  answer in thirty is long (~1,300 tokens, six per chunk) and needs two Telegram messages.
  Non-streamed requests wait as long as the stream would take. Fact extraction (Dazi's
  background ``save_facts`` call) answers after 100 ms with one fact.

The users: most are new; 40 have 1,000-5,000 stored messages each (LoCoMo dialogue turns,
seeded into the database before the bot starts) and ask LoCoMo questions, so recall has real
work. One message in ten is Chinese.

Each bot process runs one phase after a warm-up of 40 messages:

- ``latency``: the bot's default settings (Telegram's rate limits on: 30 messages/s overall,
  1/s per chat); ``--rate`` messages/s for ``--seconds`` seconds, one in ten from a user with a
  long history;
- ``capacity``: rate limits lifted (``RATE_*`` settings set very high); ``--users`` users write
  ``--per-user`` messages each at once (4 % of them from long histories).

Printed per bot and phase (median and range over ``--rounds`` interleaved rounds):

- CPU ms per message: user + system time of the bot process from the first message pushed to
  the last final message, divided by the messages; "+bg" adds what the bot spends until the
  model server is idle again (Dazi's background fact learning);
- messages/s: messages / (first push to last final message);
- time to first visible output (the first ``sendChatAction``, ``sendMessageDraft``,
  ``sendMessage`` or ``editMessageText`` for that message), to the first text (the same without
  typing actions) and to the final message (the one carrying the answer's last words);
- Bot API calls per message, by method; peak RSS (VmHWM) of the bot process.

Variants: ``bare`` (the libraries' defaults: PTB's httpx transport, the openai SDK's httpx
client), ``bare+dazi-transports`` (the same bare bot on the transports Dazi uses, so Dazi's own
cost shows apart from transport choices) and ``dazi``. Every run stops by itself.

Run: ``python benchmarks/throughput.py`` (``--rounds 3 --rate 30 --seconds 10 --users 1000``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import itertools
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = "123456789:BENCH-token-abcdefghijklmnopqrstuvwxyz"
LOOPBACK = "127.0.0.1"
TELEGRAM_LIMIT = 4096
SEEDED_USERS = 40
VARIANTS = ("bare", "bare+dazi-transports", "dazi")
PHASES = ("latency", "capacity")
#: Methods whose call the user sees: typing..., a draft, a message, an edit.
VISIBLE = frozenset({"sendChatAction", "sendMessageDraft", "sendMessage", "editMessageText"})
TEXTUAL = VISIBLE - {"sendChatAction"}
FINAL = frozenset({"sendMessage", "editMessageText"})
_REF = re.compile(r"\[ref q(\d+)\]")
_QID = re.compile(r"#q(\d+)(L?)")
_TAG = re.compile(r"<[^>]+>")

# --- the fake model ---------------------------------------------------------------------------

_PROSE = (
    "sure that sounds lovely and I think you should take a little time for yourself today "
    "maybe a walk in the park would help you clear your mind after such a long week at work "
    "remember to drink some water and call your sister she mentioned the garden last time "
    "the weather looks kind for a bike ride tomorrow morning if you still feel like it"
)
_WORDS = _PROSE.split(" ")


def answer_tokens(qid: int, long: bool) -> list[str]:
    """The answer to message ``qid`` as tokens (~4 characters each), the same in every run."""
    rng = random.Random(qid)
    tokens = ["**Sure", "!**"]
    count = 1300 if long else 56
    sentence = 0
    while len(tokens) < count:
        if long and sentence % 12 == 0:
            tokens.append("\n\n- " if sentence % 24 else "\n\n")
        tokens.append(" " + rng.choice(_WORDS))
        sentence += 1 if rng.random() < 0.1 else 0
        if rng.random() < 0.1:
            tokens.append(".")
    tokens.extend([" [ref", f" q{qid}]"])
    return tokens


def serve_llm() -> None:
    from aiohttp import web

    in_flight = 0
    served = Counter[str]()

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        event = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "fake",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(event)}\n\n".encode()

    def completion(message: dict[str, Any], finish: str) -> dict[str, Any]:
        usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        choice = {"index": 0, "message": message, "finish_reason": finish}
        return {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 0,
            "model": "fake",
            "choices": [choice],
            "usage": usage,
        }

    async def chat(request: web.Request) -> web.StreamResponse:
        nonlocal in_flight
        body = await request.json()
        in_flight += 1
        try:
            return await answer(request, body)
        finally:
            in_flight -= 1

    async def answer(request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        tool_names = {tool["function"]["name"] for tool in body.get("tools") or ()}
        if "save_facts" in tool_names:
            served["facts"] += 1
            await asyncio.sleep(0.1)
            arguments = {
                "operations": [
                    {
                        "op": "add",
                        "text": "The user likes long walks in the park.",
                        "subject": "user",
                        "kind": "preference",
                        "source_messages": ["M1"],
                    }
                ]
            }
            call = {
                "id": "call_1",
                "type": "function",
                "function": {"name": "save_facts", "arguments": json.dumps(arguments)},
            }
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
            return web.json_response(completion(message, "tool_calls"))
        last_user = next(
            (m.get("content") or "" for m in reversed(body["messages"]) if m["role"] == "user"),
            "",
        )
        found = _QID.search(str(last_user))
        qid, long = (int(found[1]), bool(found[2])) if found else (0, False)
        rng = random.Random(qid * 7 + 1)
        first = rng.uniform(0.8, 1.5) if rng.random() < 0.1 else rng.uniform(0.15, 0.35)
        tokens = answer_tokens(qid, long)
        per_chunk = 6 if long else 3
        chunks = [tokens[i : i + per_chunk] for i in range(0, len(tokens), per_chunk)]
        gaps = [rng.uniform(0.02, 0.03) for _ in chunks[1:]]
        if not body.get("stream"):
            served["plain"] += 1
            await asyncio.sleep(first + sum(gaps))
            text = "".join(tokens)
            return web.json_response(completion({"role": "assistant", "content": text}, "stop"))
        served["stream"] += 1
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await asyncio.sleep(first)
        await response.write(chunk({"role": "assistant", "content": ""}))
        for index, piece in enumerate(chunks):
            if index:
                await asyncio.sleep(gaps[index - 1])
            await response.write(b"".join(chunk({"content": token}) for token in piece))
        await response.write(chunk({}, "stop") + b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"in_flight": in_flight, "served": dict(served)})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/control/stats", stats)
    _serve(app)


# --- the fake Bot API, which also plays the users ---------------------------------------------


@dataclass(slots=True)
class Tracked:
    """One user message and when its answer showed."""

    qid: int
    chat: int
    pushed: float = 0.0
    visible: float | None = None
    text: float | None = None
    final: float | None = None


@dataclass
class FakeTelegram:
    updates: deque[dict[str, Any]] = field(default_factory=deque)
    update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(10_000))
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    polled: asyncio.Event = field(default_factory=asyncio.Event)
    calls: Counter[str] = field(default_factory=Counter)
    open: dict[int, deque[Tracked]] = field(default_factory=dict)
    remaining: int = 0
    all_done: asyncio.Event = field(default_factory=asyncio.Event)
    last_final: float = 0.0
    out_of_order: int = 0
    too_long: int = 0
    delivered: int = 0
    last_call: float = 0.0

    def push(self, tracked: Tracked, user: dict[str, Any], text: str) -> None:
        message = {
            "message_id": next(self.message_ids),
            "from": user,
            "chat": {"id": tracked.chat, "type": "private", "first_name": user["first_name"]},
            "date": int(time.time()),
            "text": text,
        }
        self.open.setdefault(tracked.chat, deque()).append(tracked)
        tracked.pushed = time.monotonic()
        self.updates.append({"update_id": next(self.update_ids), "message": message})
        self.arrived.set()

    async def get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        self.polled.set()
        offset = int(params.get("offset") or 0)
        while self.updates and self.updates[0]["update_id"] < offset:
            self.updates.popleft()
        if not self.updates:
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), float(params.get("timeout") or 0))
        limit = int(params.get("limit") or 100)
        batch = list(itertools.islice(self.updates, limit))
        self.delivered += len(batch)
        return batch

    def observe(self, method: str, chat: int | None, text: str | None) -> None:
        queue = self.open.get(chat) if chat is not None else None
        if not queue:
            return
        current = queue[0]
        now = time.monotonic()
        if method in VISIBLE and current.visible is None:
            current.visible = now
        if method in TEXTUAL and current.text is None:
            current.text = now
        if method in FINAL and text:
            found = _REF.search(text)
            if found is None:
                return
            answered = next((item for item in queue if item.qid == int(found[1])), None)
            if answered is None:
                return
            if answered is not current:  # the bare bot does not keep a chat's order
                self.out_of_order += 1
            answered.final = now
            queue.remove(answered)
            self.last_final = now
            self.remaining -= 1
            if self.remaining <= 0:
                self.all_done.set()

    def bot_message(self, chat: int, **fields: Any) -> dict[str, Any]:
        return {
            "message_id": next(self.message_ids),
            "from": {"id": 1, "is_bot": True, "first_name": "Bot", "username": "bench_bot"},
            "chat": {"id": chat, "type": "private", "first_name": "User"},
            "date": int(time.time()),
            **fields,
        }

    async def run_phase(self, plan: dict[str, Any]) -> dict[str, Any]:
        """Push ``plan["messages"]`` ([delay, chat, name, text, qid]) on time; wait for every
        final answer (at most ``plan["timeout"]`` s); return the timings."""
        self.calls.clear()
        self.out_of_order = self.too_long = 0
        tracked: list[Tracked] = []
        self.remaining = len(plan["messages"])
        self.all_done.clear()
        start = self.last_call = time.monotonic()
        for delay, chat, name, text, qid in plan["messages"]:
            wait = start + delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            item = Tracked(qid=qid, chat=chat)
            tracked.append(item)
            user = {"id": chat, "is_bot": False, "first_name": name, "language_code": "en"}
            self.push(item, user, text)
        # Until every answer is final, or the bot has been silent for 30 s (an answer lost to a
        # failure never comes), or the phase's time is up.
        deadline = time.monotonic() + plan["timeout"]
        while not self.all_done.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.all_done.wait(), 1.0)
            if time.monotonic() - self.last_call > 30:
                break
        first_push = min(item.pushed for item in tracked)
        done = [item for item in tracked if item.final is not None]
        for queue in self.open.values():
            queue.clear()
        return {
            "messages": len(tracked),
            "answered": len(done),
            "seconds": (self.last_final - first_push) if done else 0.0,
            "visible": [item.visible - item.pushed for item in done if item.visible],
            "text": [item.text - item.pushed for item in done if item.text],
            "final": [item.final - item.pushed for item in done if item.final],
            "calls": dict(self.calls),
            "out_of_order": self.out_of_order,
            "too_long": self.too_long,
        }


async def _params(request: Any) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    if request.can_read_body:
        form = await request.post()
        return {key: value for key, value in form.items() if isinstance(value, str)}
    return dict(request.query)


def serve_telegram() -> None:
    from aiohttp import web

    state = FakeTelegram()
    me = {
        "id": 1,
        "is_bot": True,
        "first_name": "Bot",
        "username": "bench_bot",
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }

    def ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    async def api(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        if method == "getUpdates":
            return ok(await state.get_updates(params))
        state.calls[method] += 1
        state.last_call = time.monotonic()
        chat = int(params["chat_id"]) if "chat_id" in params else None
        text = params.get("text")
        if method == "getMe":
            return ok(me)
        if method in ("sendMessage", "editMessageText") and chat is not None:
            shown = html.unescape(_TAG.sub("", text or "")) if params.get("parse_mode") else text
            if not shown or len(shown) > TELEGRAM_LIMIT:
                state.too_long += 1
                return web.json_response(
                    {
                        "ok": False,
                        "error_code": 400,
                        "description": "Bad Request: message is too long",
                    },
                    status=400,
                )
            state.observe(method, chat, text)
            message_id = int(params.get("message_id") or 0) or None
            message = state.bot_message(chat, text=shown)
            if message_id:
                message["message_id"] = message_id
            return ok(message)
        if method == "sendDocument" and chat is not None:
            return ok(state.bot_message(chat, document={"file_id": "d", "file_unique_id": "d"}))
        state.observe(method, chat, None)
        return ok(True)

    async def ready(request: web.Request) -> web.Response:
        state.updates.clear()
        state.open.clear()
        state.polled.clear()
        await asyncio.wait_for(state.polled.wait(), 120)
        return ok(True)

    async def phase(request: web.Request) -> web.Response:
        return web.json_response(await state.run_phase(await request.json()))

    async def status(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "calls": dict(state.calls),
                "remaining": state.remaining,
                "queued": len(state.updates),
                "delivered": state.delivered,
            }
        )

    app = web.Application(client_max_size=16 * 2**20)
    app.router.add_get("/control/status", status)
    app.router.add_post("/control/ready", ready)
    app.router.add_post("/control/phase", phase)
    app.router.add_post("/{prefix}/{method}", api)
    app.router.add_get("/{prefix}/{method}", api)
    _serve(app)


def _serve(app: Any) -> None:
    """Serve on a free loopback port, print it, run until killed."""
    from aiohttp import web

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, LOOPBACK, 0, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(f"PORT {port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


# --- the bare bot ------------------------------------------------------------------------------


def run_bare() -> None:
    """python-telegram-bot + openai: one non-streamed completion per message, no storage."""
    from openai import AsyncOpenAI, DefaultAioHttpClient
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    dazi_transports = os.environ.get("BARE_TRANSPORTS") == "dazi"
    client = AsyncOpenAI(
        api_key=os.environ["OPENAI_API_KEY"],
        base_url=os.environ["OPENAI_BASE_URL"],
        http_client=DefaultAioHttpClient() if dazi_transports else None,
    )

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        response = await client.chat.completions.create(
            model="fake", messages=[{"role": "user", "content": update.message.text or ""}]
        )
        text = response.choices[0].message.content or ""
        for start in range(0, len(text), TELEGRAM_LIMIT):
            await update.message.reply_text(text[start : start + TELEGRAM_LIMIT])

    builder = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .concurrent_updates(256)
        .post_shutdown(lambda _: client.close())
    )
    if dazi_transports:
        builder = _with_dazi_telegram_transport(builder)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, reply))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


def _with_dazi_telegram_transport(builder: Any) -> Any:
    """The PTB transport Dazi uses (its default when it has none of its own)."""
    try:
        from bot.telegram.transport import telegram_requests
    except ImportError:
        return builder
    request, updates_request = telegram_requests()
    return builder.request(request).get_updates_request(updates_request)


# --- the users and their histories --------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    turns: list[str]
    questions: list[str]


def load_corpus() -> Corpus:
    for path in (
        ROOT / "benchmarks" / "data" / "locomo_dev.json",
        ROOT.parent / "shared" / "data" / "locomo_dev.json",
        Path("/work/shared/data/locomo_dev.json"),
    ):
        if path.exists():
            data = json.loads(path.read_text())
            turns = [
                turn["text"]
                for sample in data
                for key, session in sample["conversation"].items()
                if key.startswith("session_") and isinstance(session, list)
                for turn in session
            ]
            questions = [qa["question"] for sample in data for qa in sample["qa"]]
            return Corpus(turns, questions)
    rng = random.Random(3)
    turns = [" ".join(rng.choices(_WORDS, k=rng.randint(6, 30))) for _ in range(1500)]
    return Corpus(turns, [" ".join(rng.choices(_WORDS, k=8)) + "?" for _ in range(200)])


def seeded_user(index: int) -> int:
    return 5_000_000 + index


async def seed_database(path: Path, corpus: Corpus) -> int:
    """Give the first SEEDED_USERS users 1,000-5,000 stored messages each."""
    from bot.app import build_services, close_services
    from bot.config import load_settings
    from bot.memory import NewMessage

    settings = load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        openai_api_key="sk-bench",
        database_path=path,
        log_level="WARNING",
    )
    services = await build_services(settings)
    rng = random.Random(11)
    total = 0
    now = datetime.now(UTC)
    try:
        for index in range(SEEDED_USERS):
            user = seeded_user(index)
            await services.users.upsert(
                user_id=user, first_name=f"Seeded{index}", username=None, language="en", now=now
            )
            await services.chats.upsert(chat_id=user, chat_type="private", title=None, now=now)
            count = rng.randint(1000, 5000)
            start = now - timedelta(days=700)
            step = timedelta(days=699) / count
            offset = rng.randrange(len(corpus.turns))
            rows = [
                NewMessage(
                    user_id=user,
                    chat_id=user,
                    role="user" if n % 2 == 0 else "assistant",
                    text=corpus.turns[(offset + n) % len(corpus.turns)],
                    at=start + step * n,
                    speaker=f"Seeded{index}" if n % 2 == 0 else "Dazi",
                )
                for n in range(count)
            ]
            for batch in range(0, count, 1000):
                await services.memory.add_messages(rows[batch : batch + 1000])
            total += count
    finally:
        await close_services(services)
    return total


_NEW_USER_TEXTS = (
    "hey, how was your day? mine was long but ok",
    "I just got back from the gym, what should I cook for dinner tonight?",
    "can you remind me what we talked about last week?",
    "my sister is visiting on saturday, any ideas for what we could do together?",
    "I feel a bit stressed about the exam tomorrow",
    "tell me something nice",
    "what's a good book to read on a rainy evening?",
    "今天好累啊，工作太多了",
    "周末想去爬山，你觉得怎么样？",
)


@dataclass
class Schedule:
    messages: list[list[Any]]
    timeout: float


def _message(qid: int, chat: int, name: str, text: str, *, long: bool) -> list[Any]:
    return [0.0, chat, name, f"{text} #q{qid}{'L' if long else ''}", qid]


def latency_schedule(
    args: argparse.Namespace, corpus: Corpus, qids: itertools.count[int]
) -> Schedule:
    rng = random.Random(21)
    count = int(args.rate * args.seconds)
    messages = []
    for n in range(count):
        qid = next(qids)
        long = rng.random() < 1 / 30
        if rng.random() < 0.1:
            index = rng.randrange(SEEDED_USERS)
            item = _message(
                qid, seeded_user(index), f"Seeded{index}", rng.choice(corpus.questions), long=long
            )
        else:
            item = _message(qid, 10_000_000 + n, f"user{n}", rng.choice(_NEW_USER_TEXTS), long=long)
        item[0] = n / args.rate
        messages.append(item)
    return Schedule(messages, timeout=args.seconds + 120)


def capacity_schedule(
    args: argparse.Namespace, corpus: Corpus, qids: itertools.count[int]
) -> Schedule:
    rng = random.Random(31)
    messages = []
    for _ in range(args.per_user):
        for n in range(args.users):
            qid = next(qids)
            long = rng.random() < 1 / 30
            if n < SEEDED_USERS:
                text, chat, name = rng.choice(corpus.questions), seeded_user(n), f"Seeded{n}"
            else:
                text, chat, name = rng.choice(_NEW_USER_TEXTS), 20_000_000 + n, f"user{n}"
            messages.append(_message(qid, chat, name, text, long=long))
    return Schedule(messages, timeout=600)


def warmup_schedule(corpus: Corpus, qids: itertools.count[int]) -> Schedule:
    messages = [
        _message(
            next(qids),
            30_000_000 + n,
            f"warm{n}",
            _NEW_USER_TEXTS[n % len(_NEW_USER_TEXTS)],
            long=False,
        )
        for n in range(35)
    ]
    messages += [
        _message(next(qids), seeded_user(n), f"Seeded{n}", corpus.questions[n], long=False)
        for n in range(SEEDED_USERS - 5, SEEDED_USERS)
    ]
    return Schedule(messages, timeout=120)


# --- the orchestra -------------------------------------------------------------------------------


class Server:
    """A helper process (fake Telegram or fake model) on a loopback port."""

    def __init__(self, role: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--role", role],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the {role} server did not start")
        self.url = f"http://{LOOPBACK}:{int(line.split()[1])}"

    def stop(self) -> None:
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        if self.process.poll() is None:
            self.process.kill()


def bot_command(
    variant: str, workdir: Path, telegram: str, llm: str, phase: str
) -> tuple[list[str], dict[str, str]]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "OPENAI_", "RATE_", "DATABASE_", "EMBEDDING_", "LLM_"))
    }
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=f"{telegram}/bot",
        OPENAI_API_KEY="sk-bench",
        OPENAI_BASE_URL=f"{llm}/v1",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    if variant == "dazi":
        env.update(LLM_MODEL="fake", DATABASE_PATH=str(workdir / "dazi.sqlite3"))
        if phase == "capacity":
            env.update(
                RATE_OVERALL_PER_SECOND="1000000",
                RATE_PRIVATE_CHAT_PER_SECOND="1000000",
                RATE_GROUP_PER_MINUTE="100000000",
            )
        profile = os.environ.get("THROUGHPUT_PROFILE")
        if profile:  # cProfile's own overhead inflates the figures: for finding hot spots only
            return [sys.executable, "-m", "cProfile", "-o", profile, "-m", "bot"], env
        return [sys.executable, "-m", "bot"], env
    if variant == "bare+dazi-transports":
        env["BARE_TRANSPORTS"] = "dazi"
    return [sys.executable, __file__, "--role", "bare"], env


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def run_one(
    variant: str,
    phase: str,
    seeded_db: Path,
    telegram: Server,
    llm: Server,
    schedules: dict[str, Schedule],
) -> dict[str, Any]:
    import aiohttp

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if variant == "dazi":
            for suffix in ("", "-wal", "-shm"):
                source = Path(f"{seeded_db}{suffix}")
                if source.exists():
                    shutil.copy(source, workdir / f"dazi.sqlite3{suffix}")
        command, env = bot_command(variant, workdir, telegram.url, llm.url, phase)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=900)) as http:
            ready = asyncio.ensure_future(http.post(f"{telegram.url}/control/ready"))
            await asyncio.sleep(0.1)
            log = (workdir / "stderr.log").open("w+")
            bot = subprocess.Popen(command, env=env, cwd=workdir, stderr=log)
            try:
                (await ready).release()
                await _phase(http, telegram, schedules["warmup"])
                cpu0 = cpu_seconds(bot.pid)
                result = await _phase(http, telegram, schedules[phase])
                cpu1 = cpu_seconds(bot.pid)
                await _model_idle(http, llm)
                cpu2 = cpu_seconds(bot.pid)
                result["cpu_ms"] = (cpu1 - cpu0) * 1000 / result["messages"]
                result["cpu_ms_bg"] = (cpu2 - cpu0) * 1000 / result["messages"]
                result["rss_mb"] = peak_rss_mb(bot.pid)
            finally:
                bot.send_signal(signal.SIGTERM)
                try:
                    bot.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    bot.kill()
                    bot.wait()
                log.seek(0)
                errors = log.read()
                log.close()
            if bot.returncode not in (0, -signal.SIGTERM):
                print(f"{variant}: exit code {bot.returncode}\n{errors[-3000:]}", file=sys.stderr)
            elif errors.strip():
                lines = errors.strip().splitlines()
                print(
                    f"{variant} {phase}: {len(lines)} lines on stderr, last: {lines[-1][:300]}",
                    file=sys.stderr,
                )
    return result


async def _phase(http: Any, telegram: Server, schedule: Schedule) -> dict[str, Any]:
    plan = {"messages": schedule.messages, "timeout": schedule.timeout}
    async with http.post(f"{telegram.url}/control/phase", json=plan) as response:
        return dict(await response.json())


async def _model_idle(http: Any, llm: Server, quiet: float = 1.0, limit: float = 180.0) -> None:
    """Wait until the model server has had nothing to do for ``quiet`` seconds."""
    deadline = time.monotonic() + limit
    idle_since: float | None = None
    while time.monotonic() < deadline:
        async with http.get(f"{llm.url}/control/stats") as response:
            busy = (await response.json())["in_flight"]
        now = time.monotonic()
        if busy:
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif now - idle_since >= quiet:
            return
        await asyncio.sleep(0.1)


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def orchestrate(args: argparse.Namespace) -> None:
    corpus = load_corpus()
    qids = itertools.count(1)
    schedules = {
        "warmup": warmup_schedule(corpus, qids),
        "latency": latency_schedule(args, corpus, qids),
        "capacity": capacity_schedule(args, corpus, qids),
    }
    variants = args.variants.split(",")
    phases = args.phases.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        seeded_db = Path(tmp) / "seeded.sqlite3"
        started = time.monotonic()
        if "dazi" in variants:
            stored = await seed_database(seeded_db, corpus)
            took = time.monotonic() - started
            print(f"seeded {stored:,} messages for {SEEDED_USERS} users in {took:.0f} s")
        telegram, llm = Server("telegram"), Server("llm")
        results: dict[tuple[str, str], list[dict[str, Any]]] = {}
        try:
            for round_ in range(args.rounds):
                order = variants if round_ % 2 == 0 else list(reversed(variants))
                for variant in order:
                    for phase in phases:
                        result = await run_one(variant, phase, seeded_db, telegram, llm, schedules)
                        results.setdefault((variant, phase), []).append(result)
                        _print_run(round_, variant, phase, result)
        finally:
            telegram.stop()
            llm.stop()
    _print_summary(results, args)


def _print_run(round_: int, variant: str, phase: str, r: dict[str, Any]) -> None:
    print(
        f"round {round_ + 1} {variant:21} {phase:8} answered {r['answered']}/{r['messages']}"
        f" cpu {r['cpu_ms']:.2f} (+bg {r['cpu_ms_bg']:.2f}) ms/msg"
        f" {r['answered'] / r['seconds'] if r['seconds'] else 0:.0f} msg/s"
        f" visible p50/p99 {_ms(r['visible'], 0.5)}/{_ms(r['visible'], 0.99)} ms"
        f" final p50/p99 {_ms(r['final'], 0.5)}/{_ms(r['final'], 0.99)} ms"
        f" rss {r['rss_mb']:.0f} MB"
        + (f" OUT OF ORDER {r['out_of_order']}" if r["out_of_order"] else "")
        + (f" TOO LONG {r['too_long']}" if r["too_long"] else ""),
        flush=True,
    )


def _ms(values: Sequence[float], share: float) -> str:
    return f"{percentile(values, share) * 1000:.0f}"


def _span(values: Sequence[float], fmt: str = "{:.2f}") -> str:
    if not values:
        return "-"
    low, mid, high = min(values), statistics.median(values), max(values)
    if len(values) == 1:
        return fmt.format(mid)
    return f"{fmt.format(mid)} ({fmt.format(low)}-{fmt.format(high)})"


def _print_summary(
    results: dict[tuple[str, str], list[dict[str, Any]]], args: argparse.Namespace
) -> None:
    print()
    print(
        f"{args.rounds} round(s); latency phase {args.rate:g} msg/s for {args.seconds:g} s with"
        f" the default rate limits; capacity phase {args.users} users x {args.per_user} at once,"
        " limits lifted"
    )
    print("median (min-max) over rounds; times in ms from the update being available to the bot")
    for (variant, phase), runs in results.items():

        def each(key: str, share: float, runs: list[dict[str, Any]] = runs) -> list[float]:
            return [percentile(r[key], share) * 1000 for r in runs]

        calls = Counter[str]()
        for r in runs:
            calls.update(r["calls"])
        handled = sum(r["messages"] for r in runs)
        per_message = ", ".join(
            f"{method} {count / handled:.2f}"
            for method, count in sorted(calls.items())
            if method in VISIBLE or method == "sendDocument"
        )
        print(f"\n{variant} / {phase}")
        print(f"  answered          {sum(r['answered'] for r in runs)}/{handled}")
        cpu, cpu_bg = _span([r["cpu_ms"] for r in runs]), _span([r["cpu_ms_bg"] for r in runs])
        rates = [r["answered"] / r["seconds"] for r in runs if r["seconds"]]
        print(f"  CPU ms/message    {cpu}   with background work {cpu_bg}")
        print(f"  messages/s        {_span(rates, '{:.0f}')}")
        for key, label in (
            ("visible", "first visible"),
            ("text", "first text"),
            ("final", "final message"),
        ):
            p50, p99 = _span(each(key, 0.5), "{:.0f}"), _span(each(key, 0.99), "{:.0f}")
            print(f"  {label:17} p50 {p50}  p99 {p99}")
        print(f"  Bot API calls/msg {per_message}")
        print(f"  peak RSS MB       {_span([r['rss_mb'] for r in runs], '{:.0f}')}")
    _print_ratios(results)


def _print_ratios(results: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
    print()
    for phase in PHASES:
        dazi = results.get(("dazi", phase))
        if not dazi:
            continue
        for base in ("bare", "bare+dazi-transports"):
            reference = results.get((base, phase))
            if not reference:
                continue
            ratios = [d["cpu_ms"] / b["cpu_ms"] for d, b in zip(dazi, reference, strict=False)]
            ratios_bg = [
                d["cpu_ms_bg"] / b["cpu_ms"] for d, b in zip(dazi, reference, strict=False)
            ]
            extra = [
                (percentile(d["visible"], 0.99) - percentile(b["visible"], 0.99)) * 1000
                for d, b in zip(dazi, reference, strict=False)
            ]
            print(
                f"{phase:8} dazi / {base:21} CPU {_span(ratios)}"
                f" (with background {_span(ratios_bg)});"
                f" p99 first visible, dazi - {base}: {_span(extra, '{:+.0f}')} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--role", choices=("telegram", "llm", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--per-user", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--phases", default=",".join(PHASES))
    args = parser.parse_args()
    if args.role == "telegram":
        serve_telegram()
    elif args.role == "llm":
        serve_llm()
    elif args.role == "bare":
        run_bare()
    else:
        asyncio.run(orchestrate(args))


if __name__ == "__main__":
    main()

"""The background process: takes events from the inbox, runs the handlers, sends the outbox.

Nothing is lost and nothing is done twice: a handler's database changes, the messages it
queues and the inbox row's "done" mark are one transaction; a push carries a retry key
kept on its outbox row, so a retried push that LINE already took is not shown twice.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from linebot.v3.webhooks import Event, FollowEvent, ImageMessageContent, MessageEvent, UserSource
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from bot.line_gateway import LineCallError, LineGateway
from bot.services import Services
from handlers.citizens import citizen_language
from handlers.context import Content, HandlerContext, LineMessage, Profile, Response
from handlers.dispatch import handle
from handlers.texts import say
from models import InboxEvent, OutboxMessage
from models.clock import clock as app_clock
from models.db import transaction
from models.districts import DistrictLocator
from models.queue_ops import RetryPolicy, claim, claimants, expire_leases, fail, finish, still_mine

log = logging.getLogger(__name__)

REPLY_TOKEN_TTL = timedelta(seconds=50)  # LINE's is about a minute; keep a margin for the request itself
LOADING_ANIMATION_MAX_AGE = timedelta(seconds=20)
MESSAGES_PER_REQUEST = 5  # LINE's limit for one reply or push
BATCH = 20


@dataclass(frozen=True)
class Claimed:
    id: int
    attempts: int


class Worker:
    def __init__(
        self,
        services: Services,
        gateway: LineGateway,
        *,
        clock: Callable[[], datetime] = app_clock.now,
        name: str | None = None,
    ) -> None:
        self.services = services
        self.settings = services.settings
        self.gateway = gateway
        self.clock = clock
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.policy = RetryPolicy(max_attempts=self.settings.max_attempts)
        self.lease = timedelta(seconds=self.settings.inbox_lease_s)
        self._locator: DistrictLocator | None = None

    # ---- the loop -------------------------------------------------------------------------

    def run(self, stop: threading.Event, idle_wait: float = 0.25) -> None:
        log.info("worker %s started", self.name)
        failures = 0
        recovered = False
        while not stop.is_set():
            try:
                if not recovered:
                    self.recover_from_dead_local_workers()
                    recovered = True
                busy = self.process_inbox() + self.send_outbox()
                failures = 0
            except SQLAlchemyError as exc:
                failures += 1
                delay = min(30.0, 0.5 * 2**failures)
                log.error("worker: database unavailable (%s); retrying in %.0f s", _first_line(exc), delay)
                stop.wait(delay)
                continue
            if not busy:
                self.services.wake.wait(idle_wait)
                self.services.wake.clear()
        log.info("worker %s stopped", self.name)

    def recover_from_dead_local_workers(self) -> int:
        """Rows held by a worker of this machine that has died are taken back at once.

        Other machines' workers cannot be checked from here; their rows return when the lease ends.
        """
        host, pid, suffix = self.name.split(":")
        with transaction(self.services.sessions) as session:
            dead = []
            for model in (InboxEvent, OutboxMessage):
                for name in claimants(session, model, f"{host}:"):
                    parts = name.split(":")
                    if len(parts) == 3 and parts[1].isdigit() and name != self.name:
                        other = int(parts[1])
                        if (other == int(pid) and parts[2] != suffix) or not _process_alive(other):
                            dead.append(name)
            count = sum(expire_leases(session, m, dead, self.clock()) for m in (InboxEvent, OutboxMessage))
        if count:
            log.info("took back %d rows from stopped workers %s", count, ", ".join(sorted(set(dead))))
        return count

    def drain(self, max_rounds: int = 1000) -> None:
        """Work until both queues have nothing due (for tests and one-shot runs)."""
        for _ in range(max_rounds):
            if not self.process_inbox() + self.send_outbox():
                return

    # ---- inbox ----------------------------------------------------------------------------

    def process_inbox(self) -> int:
        with transaction(self.services.sessions) as session:
            rows = claim(
                session, InboxEvent, now=self.clock(), worker=self.name, lease=self.lease, limit=BATCH
            )
            claimed = [(Claimed(r.id, r.attempts), r.payload) for r in rows]
        for row, payload in claimed:
            try:
                self._process_event(row, payload)
            except SQLAlchemyError:
                raise  # the loop waits for the database
            except Exception as exc:  # never let one row stop the worker
                log.exception("inbox %d: failed", row.id)
                self._fail(InboxEvent, row, f"{type(exc).__name__}: {_first_line(exc)}")
        return len(claimed)

    def _process_event(self, row: Claimed, payload: str) -> None:
        if row.attempts > self.policy.max_attempts:
            self._fail(InboxEvent, row, "gave up: the worker stopped while handling this event", retry=False)
            return
        try:
            event = Event.from_dict(with_older_fields(json.loads(payload)))
        except Exception as exc:  # stored events were checked on the way in; this is a safety net
            self._fail(InboxEvent, row, f"cannot parse stored event: {exc}", retry=False)
            return
        try:
            profile, content = self._prefetch(event, row)
        except LineCallError as exc:
            self._fail(InboxEvent, row, str(exc), retry=exc.retryable)
            return
        try:
            with transaction(self.services.sessions) as session:
                if not still_mine(session, InboxEvent, row.id, self.name):
                    log.warning("inbox %d: lease lost to another worker; left to it", row.id)
                    return
                now = self.clock()
                ctx = HandlerContext(
                    session=session,
                    at=_event_time(event),
                    photo_dir=self.settings.photo_dir,
                    locator=self.locator(session),
                    profile=profile,
                    content=content,
                    signing_key=self.settings.secret_key.encode(),
                    public_base_url=self.settings.public_base_url,
                )
                response = handle(event, ctx)
                queue_response(session, event, response, now=now, inbox_id=row.id)
                finish(session, InboxEvent, row.id, now=now)
        except (OperationalError, InterfaceError):
            raise  # the database itself is down: the loop waits and the lease brings the row back
        except SQLAlchemyError as exc:  # a conflict with another worker, say: may pass next time
            log.warning("inbox %d: database refused the handler's changes: %s", row.id, _first_line(exc))
            self._fail(InboxEvent, row, f"{type(exc).__name__}: {_first_line(exc)}")
        except Exception as exc:
            # A bug or data the handler cannot take: it would fail the same way again. Failed at once
            # (`rongtook inbox retry` runs it again after a fix), the user told, the chat not held up.
            log.exception("inbox %d: handler failed", row.id)
            self._fail(InboxEvent, row, f"{type(exc).__name__}: {exc}", retry=False)
            self._apologise(event, row)

    def _apologise(self, event: Event, row: Claimed) -> None:
        user_id = _user_id(event)
        if not user_id:
            return
        with transaction(self.services.sessions) as session:
            apology = say("handler_failed", citizen_language(session, user_id))
            response = Response(reply=[{"type": "text", "text": apology}])
            queue_response(session, event, response, now=self.clock(), inbox_id=row.id)

    def _prefetch(self, event: Event, row: Claimed) -> tuple[Profile | None, Content | None]:
        """LINE calls a handler needs, made before its transaction so no lock waits on the network."""
        user_id = _user_id(event)
        if user_id is None:
            return None, None
        profile = content = None
        if isinstance(event, FollowEvent):
            try:
                profile = self.gateway.get_profile(user_id)
            except LineCallError as exc:  # a welcome without the name beats no welcome
                log.warning("profile of %s unavailable: %s", user_id, exc)
        if isinstance(event, MessageEvent):
            self._show_loading(event, user_id)
            message = event.message
            if isinstance(message, ImageMessageContent) and message.content_provider.type == "line":
                try:
                    content = self.gateway.get_content(message.id)
                except LineCallError as exc:
                    if exc.retryable and row.attempts < self.policy.max_attempts:
                        raise
                    log.warning(
                        "photo %s unavailable: %s", message.id, exc
                    )  # the handler says so to the user
        return profile, content

    def _show_loading(self, event: Event, user_id: str) -> None:
        if self.clock() - _event_time(event) > LOADING_ANIMATION_MAX_AGE:
            return  # an old (redelivered or retried) event: the user is no longer watching for it
        try:
            self.gateway.show_loading(user_id)
        except LineCallError as exc:
            log.debug("loading animation not shown: %s", exc)

    def locator(self, session: Session) -> DistrictLocator:
        if self._locator is None:
            self._locator = DistrictLocator.from_session(session)
            if not self._locator.enabled:
                log.warning("no district boundaries loaded: routing by location is off")
        return self._locator

    # ---- outbox ---------------------------------------------------------------------------

    def send_outbox(self) -> int:
        with transaction(self.services.sessions) as session:
            rows = claim(
                session, OutboxMessage, now=self.clock(), worker=self.name, lease=self.lease, limit=BATCH
            )
            claimed = [
                (
                    Claimed(r.id, r.attempts),
                    r.to,
                    json.loads(r.messages),
                    r.reply_token,
                    r.reply_token_at,
                    r.retry_key,
                )
                for r in rows
            ]
        for row, to, messages, token, token_at, retry_key in claimed:
            if row.attempts > self.policy.max_attempts:  # taken again and again: a worker died on it
                self._fail(OutboxMessage, row, "gave up: tried too often", retry=False)
                continue
            try:
                self._send(row, to, messages, token, token_at, retry_key)
            except SQLAlchemyError:
                raise  # the loop waits for the database
            except Exception as exc:  # never let one row stop the worker
                log.exception("outbox %d: sending failed", row.id)
                self._fail(OutboxMessage, row, f"{type(exc).__name__}: {_first_line(exc)}")
        return len(claimed)

    def _send(
        self,
        row: Claimed,
        to: str,
        messages: list[LineMessage],
        token: str | None,
        token_at: datetime | None,
        retry_key: str,
    ) -> None:
        if token and token_at and self.clock() - token_at < REPLY_TOKEN_TTL:
            try:
                self.gateway.reply(token, messages)
                self._sent(row, "reply")
                return
            except LineCallError as exc:
                if not (exc.status == 400 and "reply token" in exc.detail.lower()):
                    self._fail(OutboxMessage, row, str(exc), retry=exc.retryable, last_http_status=exc.status)
                    return
                if row.attempts > 1:
                    # Only we hold this token and it is still fresh: an earlier try of ours used it,
                    # so that reply reached the user before we could record it. Pushing would repeat it.
                    log.info("outbox %d: reply token already used by an earlier try; counted as sent", row.id)
                    self._sent(row, "reply")
                    return
                log.info("outbox %d: reply token refused (%s); pushing instead", row.id, exc.detail)
        try:
            self.gateway.push(to, messages, retry_key)
        except LineCallError as exc:
            if exc.already_accepted:
                self._sent(row, "push")
                return
            status = self._fail(
                OutboxMessage, row, str(exc), retry=exc.retryable, last_http_status=exc.status
            )
            if status == "failed":
                log.error("outbox %d to %s failed for good: %s", row.id, to, exc)
            return
        self._sent(row, "push")

    def _sent(self, row: Claimed, how: str) -> None:
        with transaction(self.services.sessions) as session:
            finish(session, OutboxMessage, row.id, now=self.clock(), sent_as=how, last_http_status=200)

    def _fail(
        self,
        model: type[InboxEvent] | type[OutboxMessage],
        row: Claimed,
        error: str,
        retry: bool = True,
        **values: Any,
    ) -> str:
        with transaction(self.services.sessions) as session:
            return fail(
                session,
                model,
                row.id,
                now=self.clock(),
                error=error,
                policy=self.policy,
                retry=retry,
                **values,
            )


def queue_response(
    session: Session, event: Event, response: Response, *, now: datetime, inbox_id: int | None
) -> None:
    """Write what a handler wants sent into the outbox, in the handler's transaction."""
    user_id = _user_id(event)
    token = getattr(event, "reply_token", None)
    if user_id and response.reply:
        for index, chunk in enumerate(_chunks(response.reply)):
            first = index == 0 and bool(token)
            enqueue(
                session,
                user_id,
                chunk,
                now=now,
                inbox_id=inbox_id,
                reply_token=token if first else None,
                reply_token_at=_event_time(event) if first else None,
            )
    queue_pushes(session, response.pushes, now=now, inbox_id=inbox_id)


def queue_pushes(
    session: Session,
    pushes: list[tuple[str, list[LineMessage]]],
    *,
    now: datetime,
    inbox_id: int | None = None,
) -> None:
    """Pushes to others (citizens, officers) into the outbox, in the caller's transaction."""
    for to, messages in pushes:
        for chunk in _chunks(messages):
            enqueue(session, to, chunk, now=now, inbox_id=inbox_id)


def enqueue(
    session: Session,
    to: str,
    messages: list[LineMessage],
    *,
    now: datetime,
    inbox_id: int | None = None,
    reply_token: str | None = None,
    reply_token_at: datetime | None = None,
) -> OutboxMessage:
    row = OutboxMessage(
        to=to,
        chat_key=to,
        messages=json.dumps(messages, ensure_ascii=False),
        reply_token=reply_token,
        reply_token_at=reply_token_at,
        retry_key=str(uuid.uuid4()),
        inbox_event_id=inbox_id,
        created_at=now,
        next_attempt_at=now,
        status="pending",
        attempts=0,
    )
    session.add(row)
    session.flush()
    return row


# Fields that today's SDK requires but that older or partial LINE events lack (line-bot-sdk-python's
# own older fixtures have neither): the bot uses none of them, so a neutral value lets it answer.
_QUOTED_MESSAGES = ("text", "image", "video", "sticker")


def with_older_fields(raw: Any) -> Any:
    if not isinstance(raw, dict):
        return raw
    raw.setdefault("mode", "active")
    raw.setdefault("deliveryContext", {"isRedelivery": False})
    message = raw.get("message")
    if raw.get("type") == "message" and isinstance(message, dict) and message.get("type") in _QUOTED_MESSAGES:
        message.setdefault("quoteToken", "")
        if message["type"] == "sticker":
            message.setdefault("stickerResourceType", "STATIC")
    if raw.get("type") == "follow":
        raw.setdefault("follow", {"isUnblocked": False})
    return raw


def _chunks(messages: list[LineMessage]) -> list[list[LineMessage]]:
    return [messages[i : i + MESSAGES_PER_REQUEST] for i in range(0, len(messages), MESSAGES_PER_REQUEST)]


def _user_id(event: Event) -> str | None:
    """The LINE user who sent the event (None for a group or room source)."""
    return event.source.user_id if isinstance(getattr(event, "source", None), UserSource) else None


def _event_time(event: Event) -> datetime:
    return datetime.fromtimestamp(event.timestamp / 1000, UTC)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def run_worker_until(stop: threading.Event, worker: Worker) -> threading.Thread:
    thread = threading.Thread(target=worker.run, args=(stop,), name="rongtook-worker", daemon=True)
    thread.start()
    return thread

"""The background process: takes events from the inbox, runs the handlers, sends the outbox.

Nothing is lost and nothing is done twice: a handler's database changes, the messages it
queues and the inbox row's "done" mark are one transaction; a push carries a retry key
kept on its outbox row, so a retried push that LINE already took is not shown twice.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    GroupSource,
    ImageMessageContent,
    MessageEvent,
    PostbackEvent,
    UserSource,
)
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from bot import rich_menus
from bot.line_gateway import LineCallError, LineGateway
from bot.services import Services
from handlers.citizens import citizen_language
from handlers.context import Content, HandlerContext, Profile, Response
from handlers.dispatch import handle
from models import InboxEvent, OutboxMessage
from models.clock import BANGKOK
from models.clock import clock as app_clock
from models.db import transaction
from models.district_groups import active_group
from models.districts import DistrictLocator
from models.outbox import MESSAGES_PER_REQUEST, Queued, chunks, enqueue, enqueue_taken, queue_pushes
from models.push_quota import ANSWER, any_held, count_pushes, hold, is_quota_refusal, take_held
from models.queue_ops import (
    RetryPolicy,
    claim,
    claimants,
    expire_leases,
    fail,
    finish,
    release,
    unclaim,
)
from models.queues import QueueStatus
from models.working_days import DEFAULT_CALENDAR_SETTINGS, package_holidays
from texts import say

log = logging.getLogger(__name__)

REPLY_TOKEN_TTL = timedelta(seconds=50)  # LINE's is about a minute; keep a margin for the request itself
LOADING_ANIMATION_MAX_AGE = timedelta(seconds=20)
BATCH = 20  # rows a one-thread drain takes at a time
BATCHING_PAUSE_S = 0.01
HELD_LOOK_EVERY_S = 60.0  # how stale a worker's idea of "messages are held for the quota" may be
CHAT_RUN = 20  # events of one chat a thread handles in a row before the chat goes back to the queue
LOADING_AFTER = timedelta(seconds=1)  # an answer later than this shows LINE's loading animation first
LOADING_CALL_WAIT_S = 5.0  # how long an answer waits for its dots' call to LINE to be answered
ANSWERS_FLOWING = timedelta(seconds=2)  # ... unless the chat got a message this recently
ANSWERED_KEPT = 10_000


@dataclass(frozen=True)
class Claimed:
    id: int
    attempts: int
    chat_key: str = ""


@dataclass(frozen=True)
class Outgoing:
    """An outbox row taken for sending: everything the call to LINE needs, read in the claim's transaction."""

    id: int
    attempts: int
    to: str
    chat_key: str
    messages: str  # the JSON array of message objects, sent as it is
    reply_token: str | None
    reply_token_at: datetime | None
    retry_key: str
    kind: str | None = None  # what it carries (`models.push_quota.KINDS`): counted if pushed
    then: bool = True  # after sending, look for the chat's next message

    @classmethod
    def of(cls, row: Any) -> Outgoing:
        """From a claimed outbox row (`claim`'s columns)."""
        return cls(
            row.id,
            row.attempts,
            row.to,
            row.chat_key,
            row.messages,
            row.reply_token,
            row.reply_token_at,
            row.retry_key,
            row.kind,
        )


class SlowWatch:
    """LINE's loading animation for an event whose handling passes `after_s` (a slow query, a long list).

    One thread looks a few times a second, so an event handled promptly costs two dictionary writes
    and no call to LINE; the animation's call goes through `show` (a sending thread), and `done` hands
    it back so that the event's answer leaves only once the dots have been asked for — dots asked for
    after the answer would hang on the user's screen with nothing to follow."""

    def __init__(
        self, show: Callable[[str], Future[None] | None], after_s: float, look_every_s: float = 0.2
    ) -> None:
        self._show = show
        self._after = after_s
        self._every = look_every_s
        self._started: dict[int, tuple[str, float]] = {}
        self._shown: dict[int, Future[None]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, key: int, user_id: str) -> None:
        with self._lock:
            self._started[key] = (user_id, time.monotonic())
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="rongtook-slow-watch", daemon=True)
                self._thread.start()

    def done(self, key: int) -> Future[None] | None:
        """Stops watching; returns the animation's call when one was made (the caller waits for it)."""
        with self._lock:
            self._started.pop(key, None)
            return self._shown.pop(key, None)

    def _loop(self) -> None:
        while True:
            time.sleep(self._every)
            now = time.monotonic()
            with self._lock:  # submitting under the lock: `done` then always sees the call made
                due = [(k, user) for k, (user, since) in self._started.items() if now - since >= self._after]
                for key, user in due:
                    del self._started[key]  # once per event
                    call = self._show(user)
                    if call is not None:
                        self._shown[key] = call


class _LeaseLost(Exception):
    """The row's lease ran out while we worked on it, and another worker took it."""


@dataclass(frozen=True)
class Delivered:
    """A message LINE took, not yet marked sent in the outbox."""

    id: int
    how: str  # reply | push
    at: datetime
    kind: str | None = None


@dataclass(frozen=True)
class Flight:
    """A chat's message on its way to LINE in a sending thread."""

    future: Future[Delivered | None]
    out: Outgoing


@dataclass(frozen=True)
class Sent:
    how: str  # reply | push


@dataclass(frozen=True)
class NotSent:
    error: str
    retryable: bool
    http_status: int | None = None
    quota_spent: bool = False  # a push refused for the month's quota: held for the next reply


class Worker:
    """Handles events and sends messages for many chats at once, each chat strictly in order.

    A row is only taken when no earlier row of its chat is unfinished (`claim`), so running rows
    of different chats side by side in threads never reorders one chat. The threads spend their
    time waiting on LINE; the handlers' database work is short.
    """

    def __init__(
        self,
        services: Services,
        gateway: LineGateway,
        *,
        clock: Callable[[], datetime] = app_clock.now,
        name: str | None = None,
        threads: int | None = None,
    ) -> None:
        self.services = services
        self.settings = services.settings
        self.gateway = gateway
        self.clock = clock
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.threads = threads or self.settings.worker_threads
        self.policy = RetryPolicy(max_attempts=self.settings.max_attempts)
        self.lease = timedelta(seconds=self.settings.inbox_lease_s)
        self._locator: DistrictLocator | None = None
        self._locator_lock = threading.Lock()
        self._stopping = threading.Event()
        self._answered: dict[str, datetime] = {}  # chat → when its last message went out
        # Threads that send a chat's answer while the chat's thread handles its next event.
        self._senders = ThreadPoolExecutor(self.threads, thread_name_prefix="rongtook-send")
        # Rows whose thread lost the database midway: given back when it answers again.
        self._orphans: queue.SimpleQueue[tuple[type[InboxEvent] | type[OutboxMessage], int]] = (
            queue.SimpleQueue()
        )
        # Whether any message is held for the quota (any worker's): only then does an answer look for
        # the chat's held messages to take along. Looked up once a minute, and set when one is held here.
        self._held_waiting = False
        self._held_checked: float | None = None
        self._slow = SlowWatch(self._loading_now, LOADING_AFTER.total_seconds())

    # ---- the loop -------------------------------------------------------------------------

    def run(self, stop: threading.Event, idle_wait: float = 0.25) -> None:
        log.info("worker %s started (%d chats at once)", self.name, self.threads)
        failures = 0
        recovered = False
        in_flight: set[Future[None]] = set()
        with ThreadPoolExecutor(self.threads, thread_name_prefix="rongtook-chat") as pool:
            while not stop.is_set():
                try:
                    if not recovered:
                        self.recover_from_dead_local_workers()
                        self._warm_up()
                        recovered = True
                    self._release_orphans()
                    rich_menus.settle_in_background(self.services, self.gateway)  # per-user menus, own thread
                    taken = self._fill(pool, in_flight)
                    failures = 0
                except SQLAlchemyError as exc:
                    failures += 1
                    delay = min(30.0, 0.5 * 2**failures)
                    log.error(
                        "worker: database unavailable (%s); retrying in %.0f s", _first_line(exc), delay
                    )
                    stop.wait(delay)
                    continue
                if in_flight:
                    done, _ = wait(in_flight, timeout=idle_wait, return_when=FIRST_COMPLETED)
                    in_flight -= done
                    stop.wait(BATCHING_PAUSE_S)  # let a few more finish: one claim fills several threads
                elif not taken:
                    self.services.wake.wait(idle_wait)
                    self.services.wake.clear()
            self._stopping.set()
            log.info("worker %s stopping: finishing %d chats", self.name, len(in_flight))
        self._senders.shutdown(wait=True)
        log.info("worker %s stopped", self.name)

    def _fill(self, pool: ThreadPoolExecutor, in_flight: set[Future[None]]) -> int:
        """Claim as many rows as there are free threads and start them; returns how many."""
        free = self.threads - len(in_flight)
        if free <= 0:
            return 0
        # A share of the threads for pushes and retries, so a burst of events cannot starve them.
        outgoing = self._claim_outbox(max(1, free // 4))
        for out in outgoing:
            in_flight.add(pool.submit(self._outbox_task, out))
        events = self._claim_inbox(free - len(outgoing)) if free > len(outgoing) else []
        for row, payload in events:
            in_flight.add(pool.submit(self._inbox_task, row, payload))
        return len(outgoing) + len(events)

    def _inbox_task(self, row: Claimed, payload: str) -> None:
        """An event, then the same chat's next ones while they are due: a user who sends several messages
        is answered one after the other without going back to the queue's loop each time.

        The chat's next event is handled while the answer to the one before is on its way to LINE (a
        sending thread), and its own answer leaves when that one has arrived: the chat's order is kept,
        and a run of events costs one wait for LINE each, not a wait plus the handling.

        An answer sent is recorded in the run's next transaction (an event's, or the look for one), not
        in one of its own. Until then the chat's later messages wait, as they would for the answer
        itself; a worker that dies before recording it leaves the row to be taken again, and a second
        try of a reply or push is recognised and not shown twice (`_call_line`).
        """
        sent: list[Delivered] = []
        flight: Flight | None = None
        try:
            for done in range(1, CHAT_RUN + 1):
                # The handler's own transaction takes the chat's next event when there is one, so
                # going on costs no extra round trip; the last of a run takes none.
                following: list[tuple[Claimed, str]] | None = [] if done < CHAT_RUN else None
                try:
                    held = [flight.out.id] if flight else []
                    reply = self._reply_to(row, payload, following, sent, held, quiet=bool(held))
                    landed = self._land(flight, sent)
                    flight = None
                    if reply is not None:
                        flight = self._dispatch(reply, landed, sent)
                    if following == [] and not self._stopping.is_set():  # perhaps one came in since
                        self._land(flight, sent)  # recorded by the look, not by a transaction of its own
                        flight = None
                        following = self._claim_inbox(1, chat_key=row.chat_key, sent=sent)
                except SQLAlchemyError as exc:
                    log.error(
                        "inbox %d: database unavailable (%s); taken again later", row.id, _first_line(exc)
                    )
                    for model_row in [row] + [r for r, _ in following or []]:
                        self._orphans.put((InboxEvent, model_row.id))
                    return
                if not following:
                    return
                row, payload = following[0]
        finally:
            self._land(flight, sent)
            self._record_sent_alone(sent)

    def _dispatch(self, reply: Outgoing, earlier_sent: bool, sent: list[Delivered]) -> Flight | None:
        """Start sending an event's answer; returns it in flight, or None when it is done or given back."""
        if not earlier_sent:  # the chat's message before it failed: this one must wait for its retry
            with transaction(self.services.sessions) as session:
                unclaim(session, OutboxMessage, [reply.id], self.name)
            return None
        if reply.then:  # more of the chat's messages follow it: sent here, one after the other
            self._send_chat(reply, sent)
            return None
        return Flight(self._senders.submit(self._send_one, reply), reply)

    def _send_one(self, out: Outgoing) -> Delivered | None:
        """In a sending thread: one message to LINE; what to record if it went (a failure is recorded)."""
        taken: list[Delivered] = []
        self._deliver(out, taken)
        return taken[0] if taken else None

    @staticmethod
    def _land(flight: Flight | None, sent: list[Delivered]) -> bool:
        """Wait for the message in flight; whether it went (to be recorded with `sent`)."""
        if flight is None:
            return True
        try:
            delivered = flight.future.result()
        except Exception as exc:  # the database failed while recording a failure: the lease brings it back
            log.error("outbox %d: %s", flight.out.id, _first_line(exc))
            return False
        if delivered is None:
            return False
        sent.append(delivered)
        return True

    def _outbox_task(self, out: Outgoing) -> None:
        try:
            self._send_chat(out)
        except SQLAlchemyError as exc:
            log.error("outbox %d: database unavailable (%s); taken again later", out.id, _first_line(exc))
            self._orphans.put((OutboxMessage, out.id))

    def _release_orphans(self) -> None:
        by_model: dict[type[InboxEvent] | type[OutboxMessage], list[int]] = {}
        while True:
            try:
                model, row_id = self._orphans.get_nowait()
            except queue.Empty:
                break
            by_model.setdefault(model, []).append(row_id)
        if not by_model:
            return
        try:
            with transaction(self.services.sessions) as session:
                for model, ids in by_model.items():
                    release(session, model, ids, self.name, self.clock())
        except SQLAlchemyError:
            for model, ids in by_model.items():  # still down: kept for the next round
                for row_id in ids:
                    self._orphans.put((model, row_id))
            raise

    def _warm_up(self) -> None:
        """What the first events would otherwise each wait for: the district map and this year's and next
        year's holidays (the `holidays` package takes a quarter of a second to work out a year)."""
        with transaction(self.services.sessions) as session:
            self.locator(session)
        year = self.clock().astimezone(BANGKOK).year
        for y in (year, year + 1):
            package_holidays(DEFAULT_CALENDAR_SETTINGS, y)

    def recover_from_dead_local_workers(self) -> int:
        """Rows held by a worker of this machine that has died are taken back at once.

        Other machines' workers cannot be checked from here; their rows return when the lease ends.
        """
        parts = self.name.split(":")
        if len(parts) != 3 or not parts[1].isdigit():
            return 0  # a name given by hand (tests, one-shot runs): no process to check against
        host, pid, suffix = parts
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
        """Work through both queues in this thread until nothing is due (for tests and one-shot runs)."""
        for _ in range(max_rounds):
            if not self.process_inbox() + self.send_outbox():
                return

    # ---- inbox ----------------------------------------------------------------------------

    def _claim_inbox(
        self, limit: int, chat_key: str | None = None, sent: list[Delivered] | None = None
    ) -> list[tuple[Claimed, str]]:
        with transaction(self.services.sessions) as session:
            self._record_sent(session, sent)
            taken = self._claim_rows(session, chat_key, limit)
        if sent:
            sent.clear()
        return taken

    def _claim_rows(self, session: Session, chat_key: str | None, limit: int) -> list[tuple[Claimed, str]]:
        rows = claim(
            session,
            InboxEvent,
            now=self.clock(),
            worker=self.name,
            lease=self.lease,
            limit=limit,
            chat_key=chat_key,
        )
        return [(Claimed(r.id, r.attempts, r.chat_key), r.payload) for r in rows]

    def process_inbox(self) -> int:
        claimed = self._claim_inbox(BATCH)
        for row, payload in claimed:
            self._handle_row(row, payload)
        return len(claimed)

    def _handle_row(self, row: Claimed, payload: str) -> None:
        """One event, its answer sent at once; a database outage is raised, anything else recorded."""
        reply = self._reply_to(row, payload)
        if reply is not None:
            self._send_chat(reply)

    def _reply_to(
        self,
        row: Claimed,
        payload: str,
        following: list[tuple[Claimed, str]] | None = None,
        sent: list[Delivered] | None = None,
        held: list[int] | None = None,
        quiet: bool = False,
    ) -> Outgoing | None:
        """Handle one event; its answer, taken for sending. A database outage is raised, anything else
        recorded. `sent`: answers sent but not yet recorded, recorded by this event's transaction;
        `held`: the chat's message still in flight (this answer is sent after it)."""
        try:
            return self._process_event(row, payload, following, sent, held, quiet)
        except SQLAlchemyError:
            raise  # the caller waits for the database
        except Exception as exc:  # never let one row stop the worker
            log.exception("inbox %d: failed", row.id)
            self._record_sent_alone(sent)
            self._fail(InboxEvent, row, f"{type(exc).__name__}: {_first_line(exc)}")
            return None

    def _process_event(
        self,
        row: Claimed,
        payload: str,
        following: list[tuple[Claimed, str]] | None = None,
        sent: list[Delivered] | None = None,
        held: list[int] | None = None,
        quiet: bool = False,
    ) -> Outgoing | None:
        """Handle one event; returns the first message to its sender, already taken for sending.

        Given a `following` list, the chat's next event (if due) is taken in the same transaction and
        added to it.
        """
        if row.attempts > self.policy.max_attempts:
            self._record_sent_alone(sent)
            self._fail(InboxEvent, row, "gave up: the worker stopped while handling this event", retry=False)
            return None
        try:
            event = Event.from_dict(with_older_fields(json.loads(payload)))
        except Exception as exc:  # stored events were checked on the way in; this is a safety net
            self._record_sent_alone(sent)
            self._fail(InboxEvent, row, f"cannot parse stored event: {exc}", retry=False)
            return None
        try:
            profile, content, dots_shown = self._prefetch(event, row, quiet)
        except LineCallError as exc:
            self._record_sent_alone(sent)
            self._fail(InboxEvent, row, str(exc), retry=exc.retryable)
            return None
        user_id = _user_id(event)
        watched = (
            user_id is not None
            and not quiet
            and not dots_shown
            and isinstance(event, MessageEvent | PostbackEvent)
        )
        if watched:
            self._slow.start(row.id, user_id)
        try:
            with transaction(self.services.sessions) as session:
                self._record_sent(session, sent)
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
                    category_model_path=self.settings.category_model_path,
                )
                response = handle(event, ctx)
                response = self._with_held_messages(session, event, response, now)
                # The answer is written already taken by this thread, which sends it right after the
                # commit while the reply token is fresh (unless an earlier message to the chat is due).
                queued, first = queue_response(
                    session,
                    event,
                    response,
                    now=now,
                    inbox_id=row.id,
                    taker=(self.name, now + self.lease),
                    held=held or [],
                )
                if not finish(session, InboxEvent, row.id, now=now, worker=self.name):
                    raise _LeaseLost  # another worker took the event when our lease ran out: ours is undone
                chain = following is not None and not self._stopping.is_set()
                taken = self._claim_rows(session, row.chat_key, 1) if chain else []
                chat = _chat_id(event)
                reply = self._reply_of(session, chat, queued, first) if chat and response.reply else None
            if sent:
                sent.clear()  # recorded: committed
            if following is not None:
                following.extend(taken)  # only once committed: taken for real
            self._mark_read(event)
            return reply
        except _LeaseLost:
            log.warning("inbox %d: lease lost to another worker; left to it", row.id)
            self._record_sent_alone(sent)
            return None
        except (OperationalError, InterfaceError):
            raise  # the database itself is down: the loop waits and the lease brings the row back
        except SQLAlchemyError as exc:  # a conflict with another worker, say: may pass next time
            log.warning("inbox %d: database refused the handler's changes: %s", row.id, _first_line(exc))
            self._record_sent_alone(sent)
            self._fail(InboxEvent, row, f"{type(exc).__name__}: {_first_line(exc)}")
        except Exception as exc:
            # A bug or data the handler cannot take: it would fail the same way again. Failed at once
            # (`rongtook inbox retry` runs it again after a fix), the user told, the chat not held up.
            log.exception("inbox %d: handler failed", row.id)
            self._record_sent_alone(sent)
            self._fail(InboxEvent, row, f"{type(exc).__name__}: {exc}", retry=False)
            return self._apologise(event, row)
        finally:
            dots = self._slow.done(row.id) if watched else None
            if dots is not None:  # the answer leaves after the dots, or the dots would outlast it
                wait([dots], timeout=LOADING_CALL_WAIT_S)
        return None

    def _with_held_messages(
        self, session: Session, event: Event, response: Response, now: datetime
    ) -> Response:
        """The answer with the chat's messages held for the quota put first, as many as fit in one reply
        (a reply is free); those that do not fit wait for the next one."""
        user_id = _chat_id(event)
        if not user_id or not response.reply or not getattr(event, "reply_token", None):
            return response
        checked = self._held_checked
        if checked is None or time.monotonic() - checked > HELD_LOOK_EVERY_S:
            self._held_checked = time.monotonic()
            self._held_waiting = any_held(session)
        if not self._held_waiting:
            return response
        held = take_held(session, user_id, MESSAGES_PER_REQUEST - len(response.reply), now)
        if held:
            log.info("%d held messages go with the answer to %s", len(held), user_id)
            return replace(response, reply=held + list(response.reply))
        return response

    def _reply_of(
        self, session: Session, user_id: str, queued: list[Queued], first: Any | None
    ) -> Outgoing | None:
        """What to send the event's sender now: the answer, written taken, or else the chat's next."""
        if first is None or first.status != QueueStatus.PROCESSING.value:
            return self._take_next(session, user_id, queued)
        taken = Outgoing.of(first)
        alone = [r.id for r in queued if r.chat_key == user_id] == [taken.id]
        return replace(taken, then=False) if alone else taken

    def _apologise(self, event: Event, row: Claimed) -> Outgoing | None:
        user_id = _chat_id(event)
        if not user_id:
            return None
        with transaction(self.services.sessions) as session:
            apology = say("handler_failed", citizen_language(session, user_id))
            response = Response(reply=[{"type": "text", "text": apology}])
            queued, _ = queue_response(session, event, response, now=self.clock(), inbox_id=row.id)
            return self._take_next(session, user_id, queued)

    def _prefetch(
        self, event: Event, row: Claimed, quiet: bool = False
    ) -> tuple[Profile | None, Content | None, bool]:
        """LINE calls a handler needs, made before its transaction so no lock waits on the network;
        and whether the "typing" dots were shown meanwhile.

        `quiet`: an answer to the chat is on its way: no "typing" dots (the answer would end them)."""
        user_id = _user_id(event)
        if user_id is None:
            return None, None, False
        profile = content = None
        shown = False
        if isinstance(event, FollowEvent):
            try:
                profile = self.gateway.get_profile(user_id)
            except LineCallError as exc:  # a welcome without the name beats no welcome
                log.warning("profile of %s unavailable: %s", user_id, exc)
        if isinstance(event, MessageEvent):
            message = event.message
            if not quiet:
                shown = self._show_loading(event, user_id, photo=isinstance(message, ImageMessageContent))
            if isinstance(message, ImageMessageContent) and message.content_provider.type == "line":
                try:
                    content = self.gateway.get_content(message.id)
                except LineCallError as exc:
                    if exc.retryable and row.attempts < self.policy.max_attempts:
                        raise
                    log.warning(
                        "photo %s unavailable: %s", message.id, exc
                    )  # the handler says so to the user
        return profile, content, shown

    def _show_loading(self, event: Event, user_id: str, photo: bool) -> bool:
        """LINE's "typing" dots when the answer will keep the user waiting: a photo to fetch, or an event
        that already waited in the queue. Not when the chat's answers are arriving anyway: each call
        costs a round trip to LINE before the answer."""
        now = self.clock()
        waited = now - _event_time(event)
        if waited > LOADING_ANIMATION_MAX_AGE:
            return False  # an old (redelivered or retried) event: the user is no longer watching for it
        if not photo and waited < LOADING_AFTER:
            return False
        last = self._answered.get(user_id)
        if last is not None and now - last < ANSWERS_FLOWING:
            return False
        try:
            self.gateway.show_loading(user_id)
        except LineCallError as exc:
            log.debug("loading animation not shown: %s", exc)
        return True  # asked for (a refusal would be refused again)

    def _loading_now(self, user_id: str) -> Future[None] | None:
        """From the slow-handling watch: the dots, sent by a sending thread (never holding up the watch)."""
        if self._stopping.is_set():
            return None

        def show() -> None:
            try:
                self.gateway.show_loading(user_id)
            except LineCallError as exc:
                log.debug("loading animation not shown: %s", exc)

        try:
            return self._senders.submit(show)
        except RuntimeError:  # the senders were shut down meanwhile: no dots, nothing lost
            return None

    def _mark_read(self, event: Event) -> None:
        """The user's message shows as read once handled, where the channel allows it (LINE then sends a
        token with each message, `markAsReadToken`); by a sending thread, after the answer is on its way."""
        message = getattr(event, "message", None)
        token = getattr(message, "mark_as_read_token", None) if isinstance(event, MessageEvent) else None
        if not token or self._stopping.is_set():
            return

        def mark() -> None:
            try:
                self.gateway.mark_as_read(token)
            except LineCallError as exc:  # an expired token, say: the message stays unread, nothing else
                log.info("message not marked as read: %s", exc)

        self._senders.submit(mark)

    def locator(self, session: Session) -> DistrictLocator:
        if self._locator is None:
            with self._locator_lock:  # read once, not by every thread that starts at the same moment
                if self._locator is None:
                    locator = DistrictLocator.from_session(session)
                    if not locator.enabled:
                        log.warning("no district boundaries loaded: routing by location is off")
                    self._locator = locator
        return self._locator

    # ---- outbox ---------------------------------------------------------------------------

    def _claim_outbox(self, limit: int) -> list[Outgoing]:
        with transaction(self.services.sessions) as session:
            rows = claim(
                session, OutboxMessage, now=self.clock(), worker=self.name, lease=self.lease, limit=limit
            )
            return [Outgoing.of(r) for r in rows]

    def _take_next(
        self, session: Session, chat_key: str, queued: list[Queued] | None = None
    ) -> Outgoing | None:
        """The chat's next message if it is due and nothing earlier of the chat is unfinished.

        `queued`: the rows this transaction wrote. When the one taken is the only one of them for the
        chat, nothing is looked for after it is sent (one query fewer per event); a message queued
        meanwhile by someone else is the worker loop's to send.
        """
        rows = claim(
            session,
            OutboxMessage,
            now=self.clock(),
            worker=self.name,
            lease=self.lease,
            limit=1,
            chat_key=chat_key,
        )
        if not rows:
            return None
        taken = Outgoing.of(rows[0])
        if queued is not None and [r.id for r in queued if r.chat_key == chat_key] == [taken.id]:
            taken = replace(taken, then=False)
        return taken

    def send_outbox(self) -> int:
        claimed = self._claim_outbox(BATCH)
        for out in claimed:
            self._send_chat(out)
        return len(claimed)

    def _send_chat(self, first: Outgoing, sent: list[Delivered] | None = None) -> None:
        """Send a message, then the chat's next ones (a long answer is several requests), in order.

        `sent`: where to leave the record of the last one sent, for the caller's next transaction."""
        out: Outgoing | None = first
        while out is not None:
            out = self._deliver(out, sent)

    def _deliver(self, out: Outgoing, sent: list[Delivered] | None = None) -> Outgoing | None:
        """One call to LINE and its record; returns the chat's next message, taken in the same transaction."""
        if out.attempts > self.policy.max_attempts:  # taken again and again: a worker died on it
            outcome: Sent | NotSent = NotSent("gave up: tried too often", retryable=False)
        else:
            try:
                outcome = self._call_line(out)
            except Exception as exc:  # never let one row stop the worker
                log.exception("outbox %d: sending failed", out.id)
                outcome = NotSent(f"{type(exc).__name__}: {_first_line(exc)}", retryable=True)
        now = self.clock()
        if isinstance(outcome, Sent):
            self._note_answered(out.chat_key, now)
            if sent is not None and not out.then:
                sent.append(
                    Delivered(out.id, outcome.how, now, out.kind)
                )  # recorded by the caller's next transaction
                return None
        with transaction(self.services.sessions) as session:
            if isinstance(outcome, Sent):
                self._record_sent(session, [Delivered(out.id, outcome.how, now, out.kind)])
            elif outcome.quota_spent:
                hold(session, out.id, now, outcome.http_status)
                self._held_waiting = True
                log.warning("outbox %d to %s held: %s", out.id, out.to, outcome.error)
            else:
                values = {"last_http_status": outcome.http_status} if outcome.http_status else {}
                status = fail(
                    session,
                    OutboxMessage,
                    out.id,
                    now=now,
                    error=outcome.error,
                    policy=self.policy,
                    retry=outcome.retryable,
                    **values,
                )
                if status == "failed":
                    log.error("outbox %d to %s failed for good: %s", out.id, out.to, outcome.error)
            return self._take_next(session, out.chat_key) if out.then else None

    @staticmethod
    def _record_sent(session: Session, sent: list[Delivered] | None) -> None:
        for done in sent or ():
            finish(session, OutboxMessage, done.id, now=done.at, sent_as=done.how, last_http_status=200)
        count_pushes(session, [(done.kind, done.at) for done in sent or () if done.how == "push"])

    def _record_sent_alone(self, sent: list[Delivered] | None) -> None:
        """Record answers sent in a transaction of their own (a run ends, or its next step failed)."""
        if not sent:
            return
        try:
            with transaction(self.services.sessions) as session:
                self._record_sent(session, sent)
            sent.clear()
        except SQLAlchemyError as exc:
            # Left processing: taken again when the lease ends, and a second try is not shown twice.
            log.error("outbox %s: sent, but not recorded (%s)", [d.id for d in sent], _first_line(exc))
            sent.clear()

    def _note_answered(self, chat_key: str, at: datetime) -> None:
        if len(self._answered) > ANSWERED_KEPT:  # only the last seconds matter
            self._answered.clear()
        self._answered[chat_key] = at

    def _call_line(self, out: Outgoing) -> Sent | NotSent:
        token, token_at = out.reply_token, out.reply_token_at
        if token and token_at and self.clock() - token_at < REPLY_TOKEN_TTL:
            try:
                self.gateway.reply(token, out.messages)
                return Sent("reply")
            except LineCallError as exc:
                if not (exc.status == 400 and "reply token" in exc.detail.lower()):
                    return NotSent(str(exc), exc.retryable, exc.status)
                if out.attempts > 1:
                    # Only we hold this token and it is still fresh: an earlier try of ours used it,
                    # so that reply reached the user before we could record it. Pushing would repeat it.
                    log.info("outbox %d: reply token already used by an earlier try; counted as sent", out.id)
                    return Sent("reply")
                log.info("outbox %d: reply token refused (%s); pushing instead", out.id, exc.detail)
        if out.to.startswith("C") and not self._group_linked(out.to):
            # A district group the bot has left (or that was unlinked) since this was queued: not tried.
            return NotSent("not sent: the bot is no longer in this district group", retryable=False)
        try:
            self.gateway.push(out.to, out.messages, out.retry_key)
        except LineCallError as exc:
            if exc.already_accepted:
                return Sent("push")
            quota = is_quota_refusal(exc.status, exc.detail)
            return NotSent(str(exc), exc.retryable and not quota, exc.status, quota_spent=quota)
        return Sent("push")

    def _group_linked(self, group_id: str) -> bool:
        with transaction(self.services.sessions) as session:
            return active_group(session, group_id) is not None

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
    session: Session,
    event: Event,
    response: Response,
    *,
    now: datetime,
    inbox_id: int | None,
    taker: tuple[str, datetime] | None = None,
    held: list[int] | None = None,
) -> tuple[list[Queued], Any | None]:
    """Write what a handler wants sent into the outbox, in the handler's transaction.

    Returns the rows written and, given a `taker` (worker, lease end), the answer's first row written
    taken for that worker when nothing earlier of the chat waits but what it `held`
    (`models.outbox.enqueue_taken`).
    """
    user_id = _chat_id(event)  # a group's answer goes to the group
    token = getattr(event, "reply_token", None)
    rows: list[Queued] = []
    first: Any | None = None
    if user_id and response.reply:
        for index, chunk in enumerate(chunks(response.reply)):
            with_token = (
                {"reply_token": token, "reply_token_at": _event_time(event)} if index == 0 and token else {}
            )
            if index == 0 and taker is not None:
                first = enqueue_taken(
                    session,
                    user_id,
                    chunk,
                    now=now,
                    worker=taker[0],
                    lease_until=taker[1],
                    inbox_id=inbox_id,
                    held=held or (),
                    **with_token,
                )
                rows.append(Queued(first.id, first.chat_key))
                continue
            row = enqueue(session, user_id, chunk, now=now, inbox_id=inbox_id, kind=ANSWER, **with_token)
            rows.append(Queued(row.id, row.chat_key))
    return rows + queue_pushes(session, response.pushes, now=now, inbox_id=inbox_id), first


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


def _user_id(event: Event) -> str | None:
    """The LINE user who sent the event (None for a group or room source)."""
    return event.source.user_id if isinstance(getattr(event, "source", None), UserSource) else None


def _chat_id(event: Event) -> str | None:
    """Where the event's answer goes: the user of a one-to-one chat, or the group (issue 18 point 2)."""
    source = getattr(event, "source", None)
    if isinstance(source, GroupSource):
        return source.group_id
    return _user_id(event)


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

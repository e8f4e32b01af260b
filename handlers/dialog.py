"""The dialog machine: a declared table of (state, input) → action → allowed next states.

Each conversation kind (the citizen's complaint, later the officer's actions) declares one
table; this module runs it. The state and the draft live in `models.Dialog`, so nothing is
held in memory between two LINE events. An action returns the state to land in; landing
anywhere the table did not declare is a bug and raises, so the table stays the truth (and
the Mermaid diagram in docs/dialogs.md, drawn from it, stays true).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers import replies
from handlers.context import HandlerContext, LineMessage, Response
from handlers.signing import Postback
from models.dialogs import IDLE, Dialog
from texts import say

ANY = "*"  # a row for every state not declaring the input itself
REPLY_LIMIT = 5  # LINE's limit of messages in one reply; more would go as a paid push
SAME = "="  # "stays in the state it was in"


@dataclass
class Received:
    """One LINE event, as the dialog sees it."""

    kind: str
    text: str = ""
    postback: Postback | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    message_id: str | None = None
    last_of_set: bool = True  # False for all but the last photo of a multi-photo send
    note: str = ""  # why a postback was refused, for the log


@dataclass
class Turn:
    """One event going through the table: what came in, the draft, and what goes out."""

    ctx: HandlerContext
    user_id: str
    lang: str
    dialog: Dialog
    got: Received
    data: dict[str, Any] = field(default_factory=dict)  # a working copy of dialog.data
    out: list[LineMessage] = field(default_factory=list)
    pushes: list[tuple[str, list[LineMessage]]] = field(default_factory=list)  # to others (officers, ...)
    prompt: bool = True  # append the prompt of the state landed in
    quiet: bool = False  # send nothing at all (the middle of a photo set)

    def say(self, key: str, **values: object) -> str:
        return say(key, self.lang, **values)

    @property
    def state(self) -> str:
        return self.dialog.state


Action = Callable[[Turn], str]
Classifier = Callable[[Dialog], Received]  # the event as this dialog's input, given its state
Prompt = Callable[[Turn], list[LineMessage]]


@dataclass(frozen=True)
class Step:
    action: Action
    goes_to: tuple[str, ...]  # states the action may land in; SAME for "where it was"


def step(action: Action, *goes_to: str) -> Step:
    """A row's step as a table writes it: `step(s.cancel, IDLE)`."""
    return Step(action, goes_to)


def anywhere(**actions: Action) -> dict[tuple[str, str], Step]:
    """`any` rows that answer without moving, one per input: `anywhere(help=s.help_, stale=not_now)`."""
    return {(ANY, kind): step(action, SAME) for kind, action in actions.items()}


class UndeclaredTransition(RuntimeError):
    pass


@dataclass(frozen=True)
class DialogTable:
    kind: str
    states: tuple[str, ...]
    steps: Mapping[tuple[str, str], Step]
    prompts: Mapping[str, Prompt]
    fallback: Step  # an input no row expects in this state
    idle_timeout: timedelta
    # Named groups of targets drawn as one Mermaid choice node, e.g. "the next missing slot".
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def step_for(self, state: str, kind: str) -> Step:
        return self.steps.get((state, kind)) or self.steps.get((ANY, kind)) or self.fallback

    def run(self, turn: Turn) -> None:
        before = turn.dialog.state
        step = self.step_for(before, turn.got.kind)
        after = step.action(turn)
        allowed = {before if s == SAME else s for s in step.goes_to}
        if after not in allowed:
            raise UndeclaredTransition(
                f"{self.kind}: {before} --{turn.got.kind}--> {after} is not in the table"
            )
        self.land(turn, after)
        if turn.prompt and not turn.quiet:
            turn.out.extend(self.prompts.get(after, _nothing)(turn))

    def answer(
        self, ctx: HandlerContext, user_id: str, lang: str, classify: Classifier, dialog: Dialog | None = None
    ) -> Response:
        """One LINE event from `user_id` through the table; what to reply, and to push to others.

        `dialog`: the user's dialog of this table, when the caller has already read it."""
        dialog = dialog or dialog_for(ctx.session, user_id, self.kind, ctx.at)
        turn = Turn(ctx=ctx, user_id=user_id, lang=lang, dialog=dialog, got=Received("expired"))
        turn.data = dict(dialog.data or {})
        if is_expired(dialog, ctx.at):  # the sweep has not got to it yet: expire it first, then go on
            self.run(turn)
        notices = len(turn.out)  # the expiry notice must reach the user even if this turn is quiet
        turn.got = classify(dialog)
        turn.prompt = True
        self.run(turn)
        if turn.quiet:
            return Response(reply=turn.out[:notices], pushes=turn.pushes)
        return Response(reply=_fit(turn.out), pushes=turn.pushes)

    def land(self, turn: Turn, state: str) -> None:
        dialog = turn.dialog
        dialog.state = state
        dialog.data = dict(turn.data)  # a new object, so the JSON column is written
        dialog.updated_at = turn.ctx.at
        dialog.expires_at = turn.ctx.at + self.idle_timeout if state != IDLE else None

    def mermaid(self) -> str:
        """The table as a Mermaid state diagram (docs/dialogs.md embeds it; a test keeps it current).

        Inputs every state answers without moving (help, stickers, ...) are listed in one note
        rather than drawn as loops on a pseudo-state.
        """
        lines = ["stateDiagram-v2", f"    [*] --> {IDLE}"]
        for name, targets in self.choices.items():
            lines.append(f"    state {name} <<choice>>")
            lines += [f"    {name} --> {target}" for target in targets]
        staying: list[str] = []
        for (state, kind), step in self.steps.items():
            if state == ANY and step.goes_to == (SAME,):
                staying.append(kind)
                continue
            source = "any" if state == ANY else state
            targets = list(step.goes_to)
            for name, group in self.choices.items():
                if set(group) <= set(targets):
                    targets = [name] + [t for t in targets if t not in group]
            for target in targets:
                if target == SAME and state == ANY:
                    continue
                lines.append(f"    {source} --> {source if target == SAME else target} : {kind}")
        lines += [
            "    note right of any",
            "        any state, unless it has its own row.",
            f"        Answered without moving: {', '.join(staying)}",
            "    end note",
        ]
        return "\n".join(dict.fromkeys(lines)) + "\n"  # each edge once


def _nothing(turn: Turn) -> list[LineMessage]:
    return []


def _fit(messages: list[LineMessage]) -> list[LineMessage]:
    """At most five messages: the latest question matters most, so earlier ones give way."""
    if len(messages) <= REPLY_LIMIT:
        return messages
    return messages[: REPLY_LIMIT - 1] + messages[-1:]


# ---- steps every dialog uses ---------------------------------------------------------------------


def say_and_stay(key: str) -> Action:
    """A step that answers with one text and stays where it was (stickers, files, ...)."""

    def step(t: Turn) -> str:
        t.out.append(replies.text(t.say(key)))
        return t.state

    step.__name__ = f"say_{key}"
    return step


def not_now(t: Turn) -> str:
    """An input the current state does not expect: an old button, or a command out of place."""
    t.out.append(replies.text(t.say("stale_button" if t.got.postback else "not_now")))
    return t.state


# Inputs no dialog can use, answered alike in every table and state: `anywhere(**UNUSABLE)`.
UNUSABLE: Mapping[str, Action] = {
    "sticker": say_and_stay("sticker"),
    "media": say_and_stay("unsupported_message"),
    "too_long": say_and_stay("text_too_long"),
}


def dialog_for(session: Session, user_id: str, kind: str, at: datetime) -> Dialog:
    dialog = session.scalar(select(Dialog).where(Dialog.line_user_id == user_id, Dialog.kind == kind))
    if dialog is None:
        dialog = Dialog(line_user_id=user_id, kind=kind, state=IDLE, draft_no=0, data={}, updated_at=at)
        session.add(dialog)
        session.flush()
    return dialog


def is_expired(dialog: Dialog, at: datetime) -> bool:
    return dialog.active and dialog.expires_at is not None and dialog.expires_at <= at


def expired_dialogs(session: Session, kind: str, now: datetime, limit: int = 500) -> list[Dialog]:
    return list(
        session.scalars(
            select(Dialog)
            .where(Dialog.kind == kind, Dialog.state != IDLE, Dialog.expires_at <= now)
            .order_by(Dialog.expires_at)
            .limit(limit)
        )
    )

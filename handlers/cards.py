"""Flex cards the citizen's dialog sends: the summary before filing, the duplicate hint and the district
picker."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from handlers import replies
from handlers.context import LineMessage
from models import District
from texts import say

DISTRICTS_PER_BUBBLE = 10
EXCERPT_CHARS = 300
MapsLink = "https://www.google.com/maps/search/?api=1&query={lat},{lon}"


@dataclass(frozen=True)
class Summary:
    description: str
    category: str
    district_name: str
    photo_count: int
    photo_url: str | None  # the first photo, if LINE can fetch it
    latitude: float | None
    longitude: float | None
    possible_duplicate: bool
    public: bool = True  # False: the citizen asked that it not appear on the public site


def summary_card(summary: Summary, lang: str, confirm_data: str, edit_data: str) -> LineMessage:
    def row(label_key: str, value: str, wrap: bool = True) -> dict[str, object]:
        return {
            "type": "box",
            "layout": "baseline",
            "spacing": "sm",
            "contents": [
                {"type": "text", "text": say(label_key, lang), "size": "sm", "color": "#888888", "flex": 2},
                {"type": "text", "text": value or "-", "size": "sm", "wrap": wrap, "flex": 5},
            ],
        }

    description = summary.description
    if len(description) > EXCERPT_CHARS:
        description = description[:EXCERPT_CHARS] + "…"
    photos = (
        say("photos_count", lang, count=summary.photo_count)
        if summary.photo_count
        else say("no_photos", lang)
    )
    pinned = summary.latitude is not None and summary.longitude is not None
    rows: list[dict[str, object]] = [
        {"type": "text", "text": say("summary_title", lang), "weight": "bold", "size": "md", "wrap": True},
        row("label_problem", description),
        row("label_category", summary.category),
        row("label_district", say("district_office", lang, district=summary.district_name)),
        row("label_location", say("location_pinned" if pinned else "location_not_pinned", lang)),
        row("label_photos", photos),
        row("label_public", say("label_public_yes" if summary.public else "label_public_no", lang)),
    ]
    if summary.possible_duplicate:
        rows.append(
            {
                "type": "text",
                "text": "⚠ " + say("summary_duplicate_note", lang),
                "size": "xs",
                "color": "#b45309",
                "wrap": True,
            }
        )
    footer: list[dict[str, object]] = [
        replies.postback_button(say("qr_confirm", lang), confirm_data, say("qr_confirm", lang), "primary"),
        replies.postback_button(say("qr_edit", lang), edit_data, say("qr_edit", lang)),
        replies.message_button(say("qr_cancel", lang), say("qr_cancel", lang)),
    ]
    bubble: dict[str, object] = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": rows},
        "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": footer},
    }
    if summary.photo_url:
        bubble["hero"] = {
            "type": "image",
            "url": summary.photo_url,
            "size": "full",
            "aspectRatio": "20:13",
            "aspectMode": "cover",
        }
    if pinned:
        maps = MapsLink.format(lat=summary.latitude, lon=summary.longitude)
        rows[4] = {
            **row("label_location", say("location_pinned", lang)),
            "action": {"type": "uri", "label": say("label_location", lang), "uri": maps},
        }
    return replies.flex(say("summary_alt", lang, description=description[:200]), bubble)


@dataclass(frozen=True)
class Duplicate:
    """One open complaint of the duplicate hint: its line, and the data of its "ติดตามเรื่องนี้แทน" button
    (None for the citizen's own complaint: there is nothing to follow)."""

    code: str
    line: str
    follow_data: str | None


def duplicates_card(duplicates: Sequence[Duplicate], lang: str, alt_text: str) -> LineMessage:
    """The duplicate hint: the open complaints of the same kind nearby, each with a button to follow it
    instead of filing ("me too"); the citizen may still file theirs with the summary that follows."""
    rows: list[dict[str, object]] = [
        {"type": "text", "text": say("duplicates_intro", lang), "weight": "bold", "size": "sm", "wrap": True}
    ]
    for duplicate in duplicates:
        rows.append({"type": "separator"})
        rows.append({"type": "text", "text": duplicate.line, "size": "sm", "wrap": True})
        if duplicate.follow_data:
            label = say("qr_follow_instead", lang)
            rows.append(replies.postback_button(label, duplicate.follow_data, f"{label} {duplicate.code}"))
    choice = say("duplicates_choice", lang)
    rows.append({"type": "text", "text": choice, "size": "xs", "color": "#555555", "wrap": True})
    body = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": rows}
    bubble: dict[str, object] = {"type": "bubble", "body": body}
    return replies.flex(alt_text, bubble)


def district_picker(
    districts: Sequence[District], lang: str, data_for: Callable[[District], str]
) -> LineMessage:
    """All districts as buttons, ten to a card, in the citizen's alphabet's order."""
    ordered = sorted(districts, key=lambda d: d.name_th if lang == "th" else d.name_en)
    bubbles = []
    for start in range(0, len(ordered), DISTRICTS_PER_BUBBLE):
        chunk = ordered[start : start + DISTRICTS_PER_BUBBLE]
        names = [d.name_th if lang == "th" else d.name_en for d in chunk]
        bubbles.append(
            {
                "type": "bubble",
                "size": "kilo",
                "body": {
                    "type": "box",
                    "layout": "vertical",
                    "spacing": "xs",
                    "contents": [
                        {"type": "text", "text": f"{names[0]} – {names[-1]}", "weight": "bold", "size": "sm"},
                        *(
                            replies.postback_button(name, data_for(d), name, "link")
                            for d, name in zip(chunk, names, strict=True)
                        ),
                    ],
                },
            }
        )
    return replies.flex(say("ask_district", lang), {"type": "carousel", "contents": bubbles[:12]})

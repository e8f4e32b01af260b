"""Free text made fit to show the public: phone numbers, national ID numbers and e-mail addresses masked.

Officers write progress and results for the citizen ("called Khun Somchai on 081-234-5678"); the public
pages, the status API and other Open311 clients show those texts, so anything that reaches a person is
taken out first. People write digits in Thai (๐–๙) as often as in Arabic, with spaces, dashes or dots
between groups, and phone numbers with +66 or 66 for the leading 0.
"""

from __future__ import annotations

import re

from texts import say

_D = r"[0-9๐-๙]"
_SEP = r"[ .\-]?"

# A 13-digit ID (written 1-2345-67890-12-3 or in one run), before phones: its groups could look like one.
_NATIONAL_ID = re.compile(
    rf"(?<![0-9๐-๙]){_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{5}}{_SEP}{_D}{{2}}{_SEP}{_D}(?![0-9๐-๙])"
)
# Mobiles (06/08/09 + 8 digits), Bangkok and provincial lines (0 + 8 digits), each with +66 / 66 for
# the 0; groups as people write them (081-234-5678, 02 123 4567, +66 81 234 5678, 0812345678).
_PHONE = re.compile(
    rf"(?<![0-9๐-๙])(?:\+?(?:66|๖๖){_SEP}\(?0?\)?|[0๐]){_SEP}"
    rf"(?:[6-9๖-๙]{_D}{_SEP}{_D}{{3}}{_SEP}{_D}{{4}}|{_D}{_SEP}{_D}{{3}}{_SEP}{_D}{{4}}|{_D}{{2}}{_SEP}{_D}{{3}}{_SEP}{_D}{{3}})"
    rf"(?![0-9๐-๙])"
)
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)


def masked(text: str | None, lang: str = "th") -> str | None:
    """The text with every phone number, national ID and e-mail address replaced by a note saying so."""
    if not text:
        return text
    text = _EMAIL.sub(say("public.masked_email", lang), text)
    text = _NATIONAL_ID.sub(say("public.masked_id", lang), text)
    return _PHONE.sub(say("public.masked_phone", lang), text)

"""Why a page was rejected or an answer sent to review: reason codes and their explanations.

Codes are stored and printed in ``--json`` output; the explanations are translated when
shown (CLI, review pages).
"""

from __future__ import annotations

from typing import Any

from .texts import N_

REASONS = {
    # answers
    "faint": N_("A faint mark: light pencil, or an answer rubbed out?"),
    "unclear": N_("A circle is only partly filled."),
    "multi_mark": N_("More than one circle is filled on a question that takes one answer."),
    "crossed_out": N_("A circle is crossed out."),
    "ink_outside": N_("There is ink outside the circles."),
    "misaligned": N_("The circles are not quite where they were printed (a fold or a curled page?)."),
    "transcribe": N_("Handwriting to type in."),
    "refused": N_("The answer read is not allowed by the survey."),
    # whole pages in review
    "unregistered": N_("The page could not be lined up: a corner square is missing, covered or cut off."),
    "unidentified": N_("The page's code could not be read. Type the code printed at the bottom of the page."),
    "conflict": N_("This sheet page was scanned before with different answers. Is it a photocopy filled in by "
                   "someone else?"),
    # rejected pages
    "blank": N_("The page is blank."),
    "not_a_form": N_("This is not a page of a rightsaware form: no corner squares or code were found."),
    "not_ours": N_("The code on this page is not a rightsaware form code."),
    "bad_check": N_("The code on this page failed its check: it was misread, or the form was printed by another "
                    "installation."),
    "unknown_layout": N_("This page was printed from a layout this installation does not know (printed elsewhere?)."),
    "instrument_missing": N_("The survey this page belongs to is not installed here."),
    "version_mismatch": N_("This page was printed from another version of the survey."),
    "other_instrument": N_("This page belongs to another survey than the one being scanned."),
    "duplicate": N_("This sheet page was scanned before with the same answers; it is not counted again."),
    "rescanned": N_("A later scan of this page replaced it."),
    "rejected_by_reviewer": N_("A reviewer decided this is not a page to count."),
    "unreadable": N_("The file could not be read: it may be damaged or incomplete."),
    "unsupported": N_("The file is not a PNG, JPEG, TIFF or PDF file."),
    "empty": N_("The file is empty."),
    "failed": N_("The page could not be processed because of a problem with the set-up; scan it again once it "
                 "is fixed."),
}

ACTION_NAMES = {
    "choose": N_("chosen"),
    "blank": N_("nothing chosen"),
    "unreadable": N_("can't tell"),
    "keyed": N_("typed in"),
    "reject": N_("not counted"),
    "identify": N_("code typed in"),
    "same_sheet": N_("the same sheet"),
    "different_person": N_("another person's form"),
    "superseded": N_("replaced by a later scan"),
    "withdrawn": N_("consent withdrawn"),
}

STATES = {
    "read": N_("read"),
    "in_review": N_("in review"),
    "rejected": N_("rejected"),
    "done": N_("done"),
}


def explain(reason: str | None, messages: Any) -> str:
    """The reason in the reader's language (``messages`` has ``._``); unknown codes as they are."""
    if not reason:
        return ""
    template = REASONS.get(reason)
    return messages._(template) if template else reason


def action_name(action: str, messages: Any) -> str:
    template = ACTION_NAMES.get(action)
    return messages._(template) if template else action


def state_name(state: str, messages: Any) -> str:
    template = STATES.get(state)
    return messages._(template) if template else state

"""The paper channel object the core talks to: ``render``, ``deliver`` (print) and ``parse_inbound``.

``render`` gives a question as it is printed (label, hint and choices with their circles),
``deliver`` prints one form for an invitation into ``<data_dir>/paper/printed/`` (linked to
the invitation's response, when it has one) and ``parse_inbound`` reads one scanned page
image without storing anything. Batches of scans go through ``rightsaware paper scan``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from rightsaware.channel import ChannelInfo
from rightsaware.errors import NotFound, RightsawareError
from rightsaware.events import InboundEvent, Receipt, Rendered
from rightsaware.i18n import N_
from rightsaware.text import nfc

NAME = "paper"


class PaperChannel:
    """Printed A4 forms read back from scans and phone photos."""

    def __init__(self) -> None:
        self.info = ChannelInfo(name=NAME, title=N_("Paper forms"), interactive=False, max_text_length=None, free_text=True,
                                locales=("en", "cy", "gd"))

    def render(self, question: Any, locale: str, runtime: Any) -> Rendered:
        from rightsaware.i18n import localize

        instrument = _instrument_of(question, runtime)
        text = localize(instrument, runtime.messages(locale))
        lines = [text.label(question)]
        hint = text.hint(question)
        if hint:
            lines.append(hint)
        choices = instrument.choices_for(question)
        lines += [f"○ {text.choice_label(question, choice)}" for choice in choices]
        return Rendered(channel=NAME, locale=locale, text=nfc("\n".join(lines)),
                        data={"kind": question.kind, "choices": [c.name for c in choices]})

    def deliver(self, invitation: Any, rendered: Any, runtime: Any) -> Receipt:
        """Print one form for the invitation; the receipt's ``provider_id`` is the sheet serial."""
        veto = runtime.hook.check_delivery(invitation=invitation, channel=self, runtime=runtime)
        if veto:
            return Receipt(ok=False, error_code=str(veto), error=str(veto), permanent=True)
        from .service import PaperService

        try:
            service = PaperService(runtime)
            instrument = runtime.instrument(invitation.instrument_id)
            languages = invitation.language
            if invitation.language != "en" and "en" in instrument.languages:
                languages = f"{invitation.language}+en"
            forms = service.print_forms(invitation.instrument_id, languages, copies=1,
                                        response_id=invitation.response_id)
        except (RightsawareError, OSError) as exc:
            return Receipt(ok=False, error_code="print_failed", error=str(exc), permanent=True)
        serial = forms.serials[0]
        folder = service.files.root / "printed"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{invitation.instrument_id}-{serial}.pdf").write_bytes(forms.pdf)
        return Receipt(ok=True, provider_id=serial)

    def purge_personal_data(self, kind: str, before: Any, runtime: Any, dry_run: bool) -> int:
        """``rightsaware purge``: scan images older than ``retention_scans_days``; sheets whose answers went."""
        from .privacy import purge
        from .service import PaperService

        return purge(PaperService(runtime), kind, before, dry_run)

    def parse_inbound(self, payload: Any, runtime: Any) -> InboundEvent | None:
        """Read one page image (bytes, or ``{"image": bytes}``); ``None`` when it is not a page of ours."""
        data = payload.get("image") if isinstance(payload, dict) else payload
        if not isinstance(data, (bytes, bytearray)) or not data:
            return None
        from .crops import decode_kept
        from .service import PaperService

        try:
            grey = decode_kept(bytes(data))
        except Exception:  # noqa: BLE001 - any undecodable payload is simply not ours
            return None
        result = PaperService(runtime).reader().read(grey)
        if result.identity is None or result.status == "rejected":
            return None
        answers = {a.question: (list(a.value) if isinstance(a.value, tuple) else a.value)
                   for a in result.answers if a.state == "accepted"}
        return InboundEvent(channel=NAME, idempotency_key=hashlib.sha256(bytes(data)).hexdigest(), kind="page",
                            text=result.code, answers=answers)


def _instrument_of(question: Any, runtime: Any) -> Any:
    current = getattr(runtime, "current_instrument", None)
    candidates = ([current] if current is not None else []) + [e.instrument for e in runtime.instruments.entries()]
    for test in (lambda q: q is question, lambda q: q == question):
        for instrument in candidates:
            if any(test(q) for q in instrument.questions):
                try:
                    return runtime.instrument(instrument.id)
                except NotFound:
                    return instrument
    raise NotFound(f"the question {getattr(question, 'name', '?')!r} belongs to no known instrument")

"""SMS security: random text through the real signed webhook never gives a 500 or a traceback, and is answered."""

from __future__ import annotations

import itertools
import logging

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

# Welsh and Gaelic letters, emoji, control characters, and anything else hypothesis likes.
CELTIC = "âêîôûŵŷÂÊÎÔÛŴŶàèìòùÀÈÌÒÙáéíóúäëïöüÿẁẃẅỳýŷ’‘–"
REPLIES = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.sampled_from(CELTIC + "abcdefghijklmnopqrstuvwxyz 0123456789"), max_size=80),
    st.text(alphabet=st.sampled_from("🙂😡👍🏴󠁧󠁢󠁷󠁬󠁳󠁿❤️\u200d\ufeff\x00\x01\x07\x1b\x7f\r\n\t"), max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=1600),
    st.sampled_from(["1", "2", "yes", "nac ydw", "chuala", "30", "1 3", "back", "help", "skip", "ENGLISH",
                     "Cymraeg", "Gàidhlig", "=HYPERLINK(\"x\")", "<script>alert(1)</script>"]),
)
# Opt-out words are handled by Twilio itself (the carrier answers), so no reply from us is expected.
OPT_OUT = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "STOPIO", "REVOKE", "OPTOUT"}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=REPLIES)
def test_random_replies_through_the_signed_webhook_are_always_answered(fake_twilio, invite, text, caplog, body):
    number = f"+4477009{next(NUMBERS):05d}"
    assume(body.strip().upper() not in OPT_OUT)
    invite(number)
    before = len(fake_twilio.bodies_to(number))
    with caplog.at_level(logging.WARNING):
        caplog.clear()
        response = text(number, body)
    assert response.status_code == 200, response.text
    assert "Traceback" not in response.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], caplog.records
    assert len(fake_twilio.bodies_to(number)) > before, f"no reply to {body!r}"


NUMBERS = itertools.count(1)

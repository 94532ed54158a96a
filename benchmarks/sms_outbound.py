"""The SMS outbox worker against the in-process Twilio fake: achieved rate and duplicates.

``--messages`` texts (default 10,000) to as many respondents are queued in the campaign
queue of a SQLite store; then ``Worker.run(exit_when_done=True)`` sends them at the
configured ``--rate`` (default 50 messages/s) through the real Twilio SDK, whose HTTP client
calls the fake. The achieved rate is measured on the fake's side, from the first to the last
``create`` it received. Targets: achieved rate within 2% of the configured one; every
message sent exactly once (no number texted twice, every outbox item ``sent`` with its own
SID).

    uv run --frozen python benchmarks/sms_outbound.py [--messages 10000] [--rate 50]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sms_inbound import make_runtime  # noqa: E402 - the same runtime setup as the inbound benchmark

BODY = "Cymryd rhan lle rydych chi'n byw: 4 cwestiwn byr. Atebwch gyda rhif eich ateb. Atebwch STOP i stopio."


def queue(runtime, count: int) -> None:
    from rightsaware_sms.channel import QUEUE_CAMPAIGN
    from rightsaware_sms.segments import measure

    info = measure(BODY)
    store = runtime.store
    for index in range(count):
        respondent = store.ensure_respondent("sms", f"+447{index:09d}")
        store.enqueue(QUEUE_CAMPAIGN, f"bench:{index}", {"body": BODY, "kind": "message", "language": "cy",
                                                         "segments": info.segments, "encoding": info.encoding},
                      respondent_id=respondent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=50.0)
    args = parser.parse_args()
    from rightsaware_sms.channel import QUEUE_CAMPAIGN
    from rightsaware_sms.fake_twilio import FakeTwilio
    from rightsaware_sms.worker import Worker

    with tempfile.TemporaryDirectory() as tmp:
        runtime, channel = make_runtime(Path(tmp))
        fake = FakeTwilio()
        channel.use_gateway(fake.gateway())
        started = time.perf_counter()
        queue(runtime, args.messages)
        print(f"queued {args.messages} texts in {time.perf_counter() - started:.1f} s")
        worker = Worker(runtime, channel, rate=args.rate, housekeeping_every=30)
        started = time.perf_counter()
        progress = worker.run(exit_when_done=True)
        wall = time.perf_counter() - started
        sent = fake.sent()
        items = runtime.store.outbox_items(QUEUE_CAMPAIGN)
        runtime.close()
    span = sent[-1].monotonic - sent[0].monotonic
    achieved = (len(sent) - 1) / span
    per_number = Counter(message.to for message in sent)
    duplicates = sum(count - 1 for count in per_number.values())
    statuses = Counter(item.status for item in items)
    sids = [item.provider_id for item in items]
    deviation = abs(achieved - args.rate) / args.rate
    print(f"SMS outbox worker, {args.messages} texts at a configured {args.rate:g} messages/s, {os.cpu_count()} CPUs")
    print(f"  achieved {achieved:.2f} messages/s over {span:.1f} s ({deviation:.2%} from configured; target <= 2%)")
    print(f"  worker wall time {wall:.1f} s; outcomes {dict(progress.counts)}")
    print(f"  texts at the fake {len(sent)}, duplicates {duplicates}, outbox {dict(statuses)}, "
          f"distinct SIDs {len(set(sids))}")
    ok = (deviation <= 0.02 and duplicates == 0 and len(sent) == args.messages
          and statuses == Counter({"sent": args.messages}) and len(set(sids)) == args.messages)
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""AWS/SQS metrics, locally: every `every_s` seconds, per queue, ApproximateNumberOfMessagesVisible
(visible, not delayed) and ApproximateAgeOfOldestMessage (seconds since the oldest message still in
the queue was sent), read from moto's queues in this process (moto keeps no CloudWatch metrics).

    sampler = SqsSampler(metric_log, account_id, region, every_s=10.0).start(); sampler.stop()
"""

from __future__ import annotations

import contextlib
import threading
import time

from moto.sqs.models import sqs_backends  # type: ignore[import-untyped, unused-ignore]

from localcloud.cloudwatch.metric_log import MetricLog


class SqsSampler:
    """A daemon thread sampling every queue of one account and region."""

    def __init__(self, log: MetricLog, account_id: str, region: str, every_s: float = 5.0) -> None:
        self.log, self.account_id, self.region, self.every_s = log, account_id, region, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqs-metrics", daemon=True)

    def start(self) -> SqsSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling (after one last sample: the queues as the cloud stops)."""
        self._stop.set()
        self._thread.join(timeout=5)
        with contextlib.suppress(Exception):  # moto already reset: nothing to sample
            self.sample()

    def sample(self) -> None:
        """One sample of every queue."""
        now_ms = time.time() * 1000
        backend = sqs_backends[self.account_id][self.region]
        for name, queue in list(backend.queues.items()):
            held = list(queue._messages)  # every message not deleted: visible, in flight, delayed
            visible = sum(1 for m in held if m.visible and not m.delayed)
            stamps = (getattr(m, "sent_timestamp", None) for m in held)  # ms; None until sent
            sent: list[int] = [t for t in stamps if isinstance(t, int)]
            age_s = (now_ms - min(sent)) / 1000 if sent else 0.0
            dims = {"QueueName": name}
            self.log.put("AWS/SQS", "ApproximateNumberOfMessagesVisible", dims, visible, "Count")
            self.log.put("AWS/SQS", "ApproximateAgeOfOldestMessage", dims, round(age_s, 1), "Seconds")

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.sample()
            except Exception:  # a queue deleted while sampling: the next sample sees the new state
                continue

#!/usr/bin/env python3
"""Consumer-group lag of the local Kafka as Prometheus metrics: the dev
stack's counterpart of MSK's SumOffsetLag/MaxOffsetLag.

Lag is read from Kafka itself (each group's committed offsets against the
partitions' high watermarks), not from the consumers: when every consumer of
a group is stopped, the consumers export nothing, and that is exactly when
the lag alert must fire.

Usage: kafka_lag_exporter.py --bootstrap HOST:PORT[,...] --listen HOST:PORT

Metrics (refreshed every --interval seconds by a collector process the
exporter restarts if it dies; a scrape serves the last snapshot and never
waits on Kafka):
  kafka_consumergroup_lag{group,topic,partition}          high watermark - committed
  kafka_consumergroup_committed_offset{group,topic,partition}
  kafka_topic_partition_high_watermark{topic,partition}
  kafka_lag_exporter_refresh_ok                           1 if the last refresh worked
  kafka_lag_exporter_groups_unreadable                    groups whose offsets the last refresh could not read
  kafka_lag_exporter_collector_restarts_total             collector processes restarted
"""

from __future__ import annotations

import argparse
import http.server
import multiprocessing
import sys
import threading
import time
from multiprocessing.connection import Connection

from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

# A committed offset below 0 means "none committed yet" (OFFSET_INVALID).
NO_OFFSET = 0
REQUEST_TIMEOUT = 5.0


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{key}="{_escape(str(value))}"' for key, value in labels.items()) + "}"


def collect(admin: AdminClient) -> str:
    """One snapshot in the Prometheus text format."""
    listing = admin.list_consumer_groups(request_timeout=REQUEST_TIMEOUT).result()
    if listing.errors:
        # A broker that could not answer (starting, its coordinator still
        # loading) hides its groups: a partial list is a failed refresh, not a
        # snapshot without those groups' lag.
        raise RuntimeError(f"listing groups: {'; '.join(sorted({str(e) for e in listing.errors}))}")
    groups = [g.group_id for g in listing.valid]
    # One request per group (the client takes one group per call); all in flight at once.
    pending = {
        group: admin.list_consumer_group_offsets(
            [ConsumerGroupTopicPartitions(group)], request_timeout=REQUEST_TIMEOUT
        )[group]
        for group in groups
    }
    committed: dict[tuple[str, str, int], int] = {}
    failed: dict[str, str] = {}
    for group, future in pending.items():
        try:
            result = future.result()
        except Exception as err:
            # A group deleted between list and describe is expected; anything
            # else (coordinator loading or moved, a timeout) is reported: a
            # group that silently drops out looks exactly like "no lag".
            if "GROUP_ID_NOT_FOUND" not in str(err):
                failed[group] = str(err)
            continue
        for tp in result.topic_partitions or []:
            committed[(group, tp.topic, tp.partition)] = tp.offset
    partitions = {(topic, partition) for _, topic, partition in committed}
    high: dict[tuple[str, int], int] = {}
    if partitions:
        request = {TopicPartition(topic, partition): OffsetSpec.latest() for topic, partition in partitions}
        for tp, future in admin.list_offsets(request, request_timeout=REQUEST_TIMEOUT).items():
            try:
                high[(tp.topic, tp.partition)] = future.result().offset
            except Exception:  # a topic deleted meanwhile
                continue
    if failed:
        first = next(iter(sorted(failed.items())))
        print(f"offsets of {len(failed)} group(s) unreadable, e.g. {first[0]}: {first[1]}", file=sys.stderr, flush=True)
    lines = [
        "# HELP kafka_lag_exporter_groups_unreadable Groups whose committed offsets the last refresh could not read.",
        "# TYPE kafka_lag_exporter_groups_unreadable gauge",
        f"kafka_lag_exporter_groups_unreadable {len(failed)}",
        "# HELP kafka_consumergroup_lag Messages a consumer group has not committed yet.",
        "# TYPE kafka_consumergroup_lag gauge",
    ]
    for (group, topic, partition), offset in sorted(committed.items()):
        if (topic, partition) not in high:
            continue
        done = offset if offset >= 0 else NO_OFFSET
        lag = max(high[(topic, partition)] - done, 0)
        lines.append(f"kafka_consumergroup_lag{_labels(group=group, topic=topic, partition=str(partition))} {lag}")
    lines += ["# TYPE kafka_consumergroup_committed_offset gauge"]
    for (group, topic, partition), offset in sorted(committed.items()):
        labels = _labels(group=group, topic=topic, partition=str(partition))
        lines.append(f"kafka_consumergroup_committed_offset{labels} {offset}")
    lines += ["# TYPE kafka_topic_partition_high_watermark gauge"]
    for (topic, partition), offset in sorted(high.items()):
        lines.append(f"kafka_topic_partition_high_watermark{_labels(topic=topic, partition=str(partition))} {offset}")
    return "\n".join(lines) + "\n"


class Snapshot:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.text = ""
        self.ok = False
        self.restarts = 0

    def set(self, text: str | None) -> None:
        with self.lock:
            if text is not None:
                self.text = text
            self.ok = text is not None

    def render(self) -> bytes:
        with self.lock:
            ok = 1 if self.ok else 0
            return (
                self.text
                + f"# TYPE kafka_lag_exporter_refresh_ok gauge\nkafka_lag_exporter_refresh_ok {ok}\n"
                + "# TYPE kafka_lag_exporter_collector_restarts_total counter\n"
                + f"kafka_lag_exporter_collector_restarts_total {self.restarts}\n"
            ).encode()

    def restarted(self) -> None:
        with self.lock:
            self.ok = False
            self.restarts += 1


def collect_forever(bootstrap: str, interval: float, out: Connection) -> None:
    """The collector process: one snapshot (or None on failure) per interval
    down the pipe. Ends when the exporter is gone (the pipe breaks)."""
    while True:
        started = time.monotonic()
        try:
            # A new client per refresh: one that met the brokers while they
            # were still starting was seen to list no group for minutes
            # afterwards (lag series appeared 5 minutes late on a fresh stack).
            text: str | None = collect(AdminClient({"bootstrap.servers": bootstrap}))
        except Exception as err:  # Kafka unreachable: report it, keep trying
            print(f"refresh failed: {err}", file=sys.stderr, flush=True)
            text = None
        try:
            out.send(text)
        except (BrokenPipeError, EOFError, OSError):
            return
        time.sleep(max(interval - (time.monotonic() - started), 0.1))


def supervise_collector(bootstrap: str, snapshot: Snapshot, interval: float) -> None:
    """Runs the Kafka client in a child process and restarts it when it dies.

    librdkafka's admin client has been seen to segfault under many groups
    coming and going (the test suite's pattern); in-process, that took the
    whole exporter down and every lag series with it until the next
    `dev/stack up`. A crash now costs one restart and a log line."""
    context = multiprocessing.get_context("spawn")
    # A hung client (no snapshot for this long) is treated like a dead one.
    stalled_after = max(interval * 5, REQUEST_TIMEOUT * 4)
    while True:
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=collect_forever, args=(bootstrap, interval, sender), daemon=True)
        child.start()
        sender.close()
        while True:
            if not receiver.poll(stalled_after):
                print(f"collector pid {child.pid} sent nothing for {stalled_after:.0f}s: restarting it", file=sys.stderr, flush=True)
                child.kill()
                break
            try:
                snapshot.set(receiver.recv())
            except (EOFError, OSError):
                break
        child.join(timeout=5)
        receiver.close()
        print(f"collector pid {child.pid} ended (exit code {child.exitcode}): restarting it", file=sys.stderr, flush=True)
        snapshot.restarted()
        time.sleep(1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--listen", required=True, help="HOST:PORT")
    parser.add_argument("--interval", type=float, default=2.0)
    args = parser.parse_args(argv)
    host, port = args.listen.rsplit(":", 1)
    snapshot = Snapshot()
    threading.Thread(target=supervise_collector, args=(args.bootstrap, snapshot, args.interval), daemon=True).start()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path not in ("/metrics", "/health"):
                self.send_error(404)
                return
            body = snapshot.render() if self.path == "/metrics" else b"ok\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args) -> None:  # scrapes every 2 s: keep the log for errors
            pass

    server = http.server.ThreadingHTTPServer((host, int(port)), Handler)
    print(f"kafka lag exporter on http://{args.listen}/metrics for {args.bootstrap}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

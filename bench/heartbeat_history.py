"""The heartbeat history at fleet size: seeding, the queries the views ask, the writer, and the fleet timeline
painting 5,000 lanes offscreen.

Seeds 7 days x ~20 transitions a day for 5 hosts x 1,000 VMs (about 705,000 rows) into a temporary file, then:
- the reader's questions: every VM, flapping counts over 1 h / 24 h / 7 d, the lanes of one screen (60 VMs),
  one VM's week of transitions;
- the writer: how long `record()` keeps the caller for a burst of 10,000 rows, and how long the writer takes
  to write them;
- the timeline window (real widgets, offscreen): time until the first screen of lanes is painted, and the
  longest paint while scrolling page by page through all 5,000 lanes (each page's lanes fetched off the Qt
  thread), with a 1 ms timer probe measuring main-thread stalls.

Prints one JSON object. Goals: seed_s <= 10, lanes_60_ms <= 50, record_10000_ms <= 20,
timeline_paint_max_ms <= 16, timeline_stall_max_ms <= 50.
Usage: python bench/heartbeat_history.py [--hosts 5] [--vms-per-host 1000] [--days 7] [--per-day 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from hvgui.domain.vm import HeartbeatStatus, VmState
from hvgui.history import EventKind, HistoryReader, HistoryStore, Transition, seed_history


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def bench_queries(path: Path, now: float) -> dict[str, float]:
    reader = HistoryReader(path)
    vms_s, vms = timed(reader.vms)
    out = {"vms_list_ms": _ms(vms_s)}
    for label, seconds in (("1h", 3600), ("24h", 86400), ("7d", 7 * 86400)):
        took, _counts = timed(reader.transition_counts, now - seconds, now)
        out[f"counts_{label}_ms"] = _ms(took)
    ids = [vm.id for vm in vms[2000:2060]]
    took, _lanes = timed(reader.lanes, ids, now - 86400, now)
    out["lanes_60_ms"] = _ms(took)
    took, _lanes = timed(reader.lanes, ids, now - 7 * 86400, now)
    out["lanes_60_7d_ms"] = _ms(took)
    vm = vms[1234]
    took, rows = timed(reader.transitions, vm.host, vm.vm_id, now - 7 * 86400, now)
    out["transitions_7d_ms"] = _ms(took)
    out["transitions_7d_rows"] = len(rows)
    reader.close()
    return out


def bench_writer(path: Path, now: float) -> dict[str, float]:
    store = HistoryStore(path)
    rows = [
        Transition(
            "https://hv-bench:5986",
            f"w-{i}",
            f"writer-{i}",
            now - i * 0.01,
            EventKind.Heartbeat,
            int(HeartbeatStatus.OkApplicationsHealthy),
            int(HeartbeatStatus.LostCommunication),
            VmState.Running,
            HeartbeatStatus.LostCommunication,
        )
        for i in range(10_000)
    ]
    took_record, _ = timed(store.record, rows)
    took_flush, flushed = timed(store.flush)
    store.close()
    return {"record_10000_ms": _ms(took_record), "write_10000_ms": _ms(took_flush), "written": flushed}


def bench_timeline(path: Path) -> dict[str, float]:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from hvgui.ui.history.fleet_window import FleetHeartbeatWindow
    from hvgui.ui.history.queries import HistoryQueries

    app = QApplication.instance() or QApplication([])
    queries = HistoryQueries(HistoryReader(path))
    window = FleetHeartbeatWindow(queries)
    window.resize(1400, 900)
    window.show()
    view = window.view
    paints: list[float] = []
    original = view.paintEvent

    def measured(event) -> None:
        started = time.perf_counter()
        original(event)
        paints.append(time.perf_counter() - started)

    view.paintEvent = measured  # type: ignore[method-assign]
    stalls: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        stalls.append(now - last[0])
        last[0] = now

    probe = QTimer()
    probe.setInterval(1)
    probe.timeout.connect(tick)
    probe.start()

    def run_until(predicate, limit: float = 60.0) -> None:
        deadline = time.perf_counter() + limit
        while not predicate() and time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.001)

    started = time.perf_counter()
    run_until(lambda: len(window.shown_vms()) > 0)
    visible = lambda: {view.rows()[i].vm.id for i in view.visible_rows() if view.rows()[i].vm is not None}  # noqa: E731
    run_until(lambda: bool(visible()) and visible() <= view.cached_lanes())
    first_screen = time.perf_counter() - started
    stalls.clear()
    paints.clear()
    bar = view.verticalScrollBar()
    pages = 0
    scroll_started = time.perf_counter()
    while bar.value() < bar.maximum():
        bar.setValue(bar.value() + bar.pageStep())
        run_until(lambda: visible() <= view.cached_lanes())
        pages += 1
    scroll_s = time.perf_counter() - scroll_started
    for span_index in (0, 2):  # zoom to 1 h and 7 d at the end of the list
        window.span_buttons.button(span_index).click()
        run_until(lambda: visible() <= view.cached_lanes())
    probe.stop()
    queries.close()
    window.close()
    stalls_ms = sorted(s * 1000 for s in stalls) or [0.0]
    return {
        "timeline_vms": len(window.shown_vms()),
        "timeline_first_screen_ms": _ms(first_screen),
        "timeline_pages": pages,
        "timeline_ms_per_page": round(scroll_s * 1000 / max(pages, 1), 2),
        "timeline_paint_max_ms": _ms(max(paints) if paints else 0.0),
        "timeline_paint_median_ms": _ms(statistics.median(paints) if paints else 0.0),
        "timeline_lanes_fetched": len({vm for ids, _t0, _t1 in view.asked for vm in ids}),
        "timeline_stall_max_ms": round(stalls_ms[-1], 2),
        "timeline_stall_p99_ms": round(stalls_ms[int(len(stalls_ms) * 0.99) - 1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=5)
    parser.add_argument("--vms-per-host", type=int, default=1000)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--per-day", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hvgui-history-bench-") as directory:
        path = Path(directory) / "history.sqlite"
        now = time.time()
        vms = [
            (f"https://hv-{h:02d}:5986", f"{h:02d}-{i:06d}", f"vm-{h:02d}-{i:04d}")
            for h in range(args.hosts)
            for i in range(args.vms_per_host)
        ]
        seed_s, rows = timed(lambda: seed_history(path, vms, days=args.days, per_day=args.per_day, now=now))
        result: dict[str, object] = {
            "vms": len(vms),
            "days": args.days,
            "per_day": args.per_day,
            "seed_rows": rows,
            "seed_s": round(seed_s, 2),
            "file_mb": round(path.stat().st_size / 2**20, 1),
        }
        result.update(bench_queries(path, now))
        result.update(bench_timeline(path))
        result.update(bench_writer(path, now))
    print(json.dumps(result))


if __name__ == "__main__":
    main()

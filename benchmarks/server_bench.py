"""What does the HTTP server cost on top of the library, and how does it hold up under load?

Run: ``.venv/bin/python benchmarks/server_bench.py [--quick] [--engine NAME] [--repeats N]
[--clients N] [--requests N]``

The server runs as its own process (``python -m inpaintkit serve --port P``) on loopback,
so its memory is its own; clients are threads with httpx in this process.

1. One big photo: an 8192×6144 PNG (astronaut upscaled, ±2 noise) with a 256×256 hole
   (a mask PNG of the photo's size), posted as multipart to ``/v1/inpaint``: the time
   from the first byte sent to the last byte of the answer PNG received, against the
   library's own ``inpaint(png_bytes, mask_bytes)`` + ``encode_result`` on the same bytes
   in this process (decode, pipeline, encode: what the server does, minus HTTP). Timed
   in alternation, median of ``--repeats`` after a warm-up. Target: HTTP ≤ 1.3× the
   library.
2. Many clients: ``--clients`` threads each posting 1024×1024 PNG photos with a 128×128
   box hole (a different place each time) to ``/v1/inpaint`` with the default engine,
   ``--requests`` in all: requests/s, latency p50/p99 and the server's resident memory
   (after the warm-up, peak, at the end; psutil, else /proc/PID/status). Beside it, some
   of the same photos through the library directly in this process (``inpaint`` +
   ``encode_result``), one at a time, as the server runs each engine. The default
   engine (auto) fills a 128² hole in about 0.4 s on 2 cores, so its throughput is
   measured over a fifth of ``--requests``; the full count (500) runs with telea, where
   the HTTP layer itself is most of the work, and that run gives the memory figures.
   Then an overload: a server with ``--queue-size 1`` and 4× the clients, each retrying
   on 429 after a short pause: how many 429s, the throughput of the ones served, and
   /healthz latency during the flood.

``--quick`` uses a 4096×3072 photo, 1 repeat, 60 requests (about 30 s); the default run
takes about 3 minutes on a 2-core machine.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import base_parser, describe_machine, load_photo, markdown_table

BIG = (8192, 6144)
QUICK_BIG = (4096, 3072)
HOLE = 256
SMALL = 1024
SMALL_HOLE = 128
TARGET = 1.3


def big_photo(size: tuple[int, int], *, seed: int = 0) -> np.ndarray:
    """astronaut upscaled to ``size`` (bicubic) with ±2 noise: a large, photo-like RGB."""
    photo = load_photo("astronaut", max_side=10_000)
    large = cv2.resize(photo, size, interpolation=cv2.INTER_CUBIC)
    noise = np.random.default_rng(seed).integers(-2, 3, large.shape, dtype=np.int16)
    return np.clip(large.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def png_bytes(array: np.ndarray, level: int = 1) -> bytes:
    data = array if array.ndim == 2 else cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".png", data, [cv2.IMWRITE_PNG_COMPRESSION, level])
    assert ok
    return encoded.tobytes()


def hole_mask(width: int, height: int, side: int, x0: int, y0: int) -> bytes:
    mask = np.zeros((height, width), np.uint8)
    mask[y0 : y0 + side, x0 : x0 + side] = 255
    return png_bytes(mask)


# --- the server process ---------------------------------------------------------------------


@contextmanager
def serve(*arguments: str) -> Iterator[tuple[str, int]]:
    """``python -m inpaintkit serve`` on a free loopback port: (base URL, pid)."""
    import socket
    import subprocess

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {k: v for k, v in os.environ.items() if k != "INPAINTKIT_TOKEN"}
    command = [sys.executable, "-m", "inpaintkit", "serve", "--port", str(port), *arguments]
    process = subprocess.Popen(command, env=environment, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                assert process.stderr is not None
                sys.exit(f"the server exited: {process.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                sys.exit("the server did not start within 60 s")
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def rss_mib(pid: int) -> float:
    try:
        import psutil

        return float(psutil.Process(pid).memory_info().rss) / 2**20
    except ImportError:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    raise RuntimeError("cannot read the server's memory")


class MemoryWatch:
    """Samples a process's RSS every 50 ms in a thread; ``peak`` is the largest seen."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_mib(self.pid))

    def __enter__(self) -> MemoryWatch:
        self.peak = rss_mib(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# --- part 1: one big photo ------------------------------------------------------------------


def big_photo_table(size: tuple[int, int], repeats: int, engine: str | None) -> str:
    import httpx

    from inpaintkit import inpaint
    from inpaintkit.output import encode_result

    width, height = size
    photo = png_bytes(big_photo(size))
    mask = hole_mask(width, height, HOLE, width // 2 - HOLE // 2, height // 2 - HOLE // 2)
    fields = {"seed": "1", **({"engine": engine} if engine else {})}
    options = {"seed": 1, **({"engine": engine} if engine else {})}
    with serve() as (url, pid), httpx.Client(timeout=600) as client:

        def over_http() -> float:
            start = time.perf_counter()
            answer = client.post(
                f"{url}/v1/inpaint",
                files={"image": ("photo.png", photo), "mask": ("mask.png", mask)},
                data=fields,
            )
            elapsed = time.perf_counter() - start
            if answer.status_code != 200:
                sys.exit(f"/v1/inpaint answered {answer.status_code}: {answer.text[:500]}")
            sizes["http"] = len(answer.content)
            return elapsed

        def library() -> float:
            start = time.perf_counter()
            data = encode_result(inpaint(photo, mask, **options))
            elapsed = time.perf_counter() - start
            sizes["library"] = len(data)
            return elapsed

        sizes: dict[str, int] = {}
        http_times, library_times = [], []
        over_http(), library()  # warm-up: imports, page cache, the engine
        for _ in range(repeats):
            http_times.append(over_http())
            library_times.append(library())
        server_rss = rss_mib(pid)
    http_s, library_s = statistics.median(http_times), statistics.median(library_times)
    factor = http_s / library_s
    rows = [
        [
            f"{width}×{height} PNG ({len(photo) / 1e6:.0f} MB), {HOLE}×{HOLE} hole",
            f"{http_s:.2f}",
            f"{library_s:.2f}",
            f"{factor:.2f}×",
            "yes" if factor <= TARGET else "no",
        ]
    ]
    table = markdown_table(
        [
            "job",
            "POST /v1/inpaint (s)",
            "library decode+inpaint+encode (s)",
            "HTTP/library",
            f"target ≤ {TARGET}× met",
        ],
        rows,
    )
    return (
        table
        + f"\n\nanswer PNG {sizes['http'] / 1e6:.1f} MB over HTTP, {sizes['library'] / 1e6:.1f} MB "
        f"from the library; server RSS after the runs {server_rss:.0f} MiB"
    )


# --- part 2: many clients -------------------------------------------------------------------


def small_photos(count: int) -> list[tuple[bytes, str]]:
    """``count`` 1024×1024 PNG photos (four distinct pictures) with a box hole each."""
    rng = np.random.default_rng(5)
    pictures = []
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        photo = cv2.resize(load_photo(name, max_side=2048), (SMALL, SMALL), cv2.INTER_AREA)
        pictures.append(png_bytes(photo))
    jobs = []
    for number in range(count):
        x0, y0 = (int(v) for v in rng.integers(64, SMALL - 64 - SMALL_HOLE, 2))
        jobs.append((pictures[number % 4], f"{x0},{y0},{x0 + SMALL_HOLE},{y0 + SMALL_HOLE}"))
    return jobs


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_clients(
    clients: int, jobs: list[tuple[bytes, str]], call: Callable[[bytes, str], int]
) -> tuple[float, list[float], dict[int, int]]:
    """Seconds for all jobs over ``clients`` threads, each job's latency, status counts."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def one(job: tuple[bytes, str]) -> None:
        start = time.perf_counter()
        status = call(*job)
        elapsed = time.perf_counter() - start
        with lock:
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                latencies.append(elapsed)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, jobs))
    return time.perf_counter() - start, latencies, statuses


def load_rows(
    clients: int, requests: int, engine: str | None, library_share: int
) -> list[list[str]]:
    """Two rows: ``requests`` over HTTP (with the server's RSS), then a share of them
    through the library in this process, both with ``clients`` threads."""
    import httpx

    from inpaintkit import inpaint
    from inpaintkit.output import encode_result

    jobs = small_photos(requests)
    warm = jobs[: max(4, clients)]
    options = {"engine": engine} if engine else {}
    label = engine or "auto (default)"
    with serve() as (url, pid), httpx.Client(timeout=600, limits=_limits(clients)) as client:

        def post(photo: bytes, box: str) -> int:
            answer = client.post(
                f"{url}/v1/inpaint",
                files={"image": ("p.png", photo)},
                data={"mask_box": box, **options},
            )
            return answer.status_code

        run_clients(clients, warm, post)
        after_warm_up = rss_mib(pid)
        with MemoryWatch(pid) as memory:
            seconds, latencies, statuses = run_clients(clients, jobs, post)
        at_end = rss_mib(pid)
        # One client at a time: latency with no queueing, the same shape as the library
        # loop below, so p50 against p50 is the HTTP overhead itself.
        single_jobs = jobs[: max(8, requests // library_share)]
        one = run_clients(1, single_jobs, post)
    http = _load_row(f"HTTP, {clients} clients", requests, seconds, latencies, statuses)
    memory_text = f"{after_warm_up:.0f} / {memory.peak:.0f} / {at_end:.0f}"
    rows = [[label, *http, memory_text]]
    rows.append([label, *_load_row("HTTP, one at a time", len(single_jobs), *one), ""])

    def direct(photo: bytes, box: str) -> int:
        encode_result(inpaint(photo, box, **options))
        return 200

    # The server runs one request per engine at a time; so does this loop. (More threads
    # calling the library at once would run the engine in parallel, which the server
    # does not do, so as not to hold a multi-GB model twice.)
    library_jobs = jobs[: max(8, requests // library_share)]
    run_clients(1, warm, direct)
    seconds, latencies, statuses = run_clients(1, library_jobs, direct)
    count = len(library_jobs)
    library = _load_row("library, one at a time", count, seconds, latencies, statuses)
    rows.append([label, *library, "(in this process)"])
    return rows


LOAD_HEADERS = [
    "engine",
    "who",
    "requests",
    "requests/s",
    "p50 (ms)",
    "p99 (ms)",
    "statuses",
    "server RSS MiB: warm / peak / end",
]


def _limits(clients: int) -> object:
    import httpx

    return httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)


def _load_row(
    who: str, requests: int, seconds: float, latencies: list[float], statuses: dict[int, int]
) -> list[str]:
    served = len(latencies)
    return [
        who,
        str(requests),
        f"{served / seconds:.1f}",
        f"{percentile(latencies, 0.5) * 1000:.0f}" if latencies else "—",
        f"{percentile(latencies, 0.99) * 1000:.0f}" if latencies else "—",
        ", ".join(f"{code}×{count}" for code, count in sorted(statuses.items())),
    ]


def overload_table(clients: int, requests: int, engine: str | None) -> str:
    """Four times the clients against a queue of 1: 429s, and the server keeps serving."""
    import httpx

    jobs = small_photos(requests)
    fields = {"engine": engine} if engine else {}
    many = clients * 4
    refused = [0]
    health: list[float] = []
    stop = threading.Event()
    with (
        serve("--queue-size", "1") as (url, pid),
        httpx.Client(timeout=600, limits=_limits(many)) as client,
    ):

        def post(photo: bytes, box: str) -> int:
            while True:
                answer = client.post(
                    f"{url}/v1/inpaint",
                    files={"image": ("p.png", photo)},
                    data={"mask_box": box, **fields},
                )
                if answer.status_code != 429:
                    return answer.status_code
                assert int(answer.headers["retry-after"]) > 0
                refused[0] += 1
                time.sleep(0.05)  # a real client waits Retry-After; short, to keep it busy

        def probe() -> None:
            with httpx.Client(timeout=30) as prober:
                while not stop.wait(0.1):
                    start = time.perf_counter()
                    assert prober.get(f"{url}/healthz").status_code == 200
                    health.append(time.perf_counter() - start)

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        with MemoryWatch(pid) as memory:
            seconds, latencies, statuses = run_clients(many, jobs, post)
        stop.set()
        prober.join()
    row = _load_row(f"HTTP, {many} clients, queue 1", requests, seconds, latencies, statuses)
    row += [
        str(refused[0]),
        f"{percentile(health, 0.5) * 1000:.1f} / {max(health) * 1000:.1f}" if health else "—",
        f"{memory.peak:.0f}",
    ]
    return markdown_table(
        [
            "who",
            "requests",
            "served/s",
            "p50 (ms)",
            "p99 (ms)",
            "final statuses",
            "429 answers",
            "/healthz p50 / max (ms)",
            "peak RSS MiB",
        ],
        [row],
    )


def main() -> None:
    parser = base_parser(__doc__ or "")
    parser.add_argument("--engine", help="engine (default: the server's default, auto)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients in part 2")
    parser.add_argument("--requests", type=int, default=None, help="requests in part 2")
    parser.add_argument("--part", choices=("1", "2", "all"), default="all")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    size = QUICK_BIG if args.quick else BIG
    requests = args.requests or (60 if args.quick else 500)
    engine_name = args.engine or "the default engine (auto)"

    print("# server_bench: HTTP on top of the library\n")
    print(describe_machine() + "\n")
    if args.part in ("1", "all"):
        width, height = size
        print(
            f"## 1. One big photo: {width}×{height}, {HOLE}×{HOLE} hole, {engine_name} "
            f"(median of {repeats}, alternating)\n"
        )
        print(big_photo_table(size, repeats, args.engine) + "\n")
    if args.part in ("2", "all"):
        # The default engine (auto) runs a 128² hole in about 0.4 s on 2 cores: its
        # throughput is measured over fewer requests; the memory run sends the full
        # count with telea, where the HTTP layer itself is most of the work.
        slow = requests // 5 if args.engine is None else requests
        print(
            f"## 2. {args.clients} concurrent clients, {SMALL}×{SMALL} photos, "
            f"{SMALL_HOLE}×{SMALL_HOLE} hole at a random place\n"
        )
        rows = load_rows(args.clients, slow, args.engine, 4)
        if args.engine is None:
            rows += load_rows(args.clients, requests, "telea", 5)
        print(markdown_table(LOAD_HEADERS, rows) + "\n")
        overload = max(requests // 10, args.clients * 8)
        engine = args.engine or "telea"
        print(
            f"### Overload: queue size 1, {args.clients * 4} clients retrying on 429, "
            f"{overload} requests, {engine}\n"
        )
        print(overload_table(args.clients, overload, engine))


if __name__ == "__main__":
    main()

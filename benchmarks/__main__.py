"""`make bench`: every benchmark of issue 9, one table.

    DATABASE_URL=postgres://…/sw_x python -m benchmarks [--skus 100000] [--only recompute,pages]

Runs on the database DATABASE_URL names, as seed_demo filled it (`--skus N` seeds N SKUs × 365
days first when the database has no SKUs; with `--reseed` it empties a database holding another
number first). Each benchmark runs in its own process (so peak memory is its own) and prints
its figures; this prints them all as a table: figure, ours, the baseline measured in the same
run, the ratio, the target, pass/fail, with the machine and its load. What the benchmarks write
goes into a BENCH sandbox warehouse that is removed afterwards, or is rolled back.
Results are also written to var/bench/<time>.json.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django  # noqa: E402, I001

from benchmarks.common import (
    REWRITTEN_BY_ROLLED_BACK_NIGHTS,
    ROOT,
    data_size,
    machine,
    settle_database,
)

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

BENCHES = {
    "recompute": "benchmarks.recompute_bench",
    "pages": "benchmarks.pages_bench",
    "import": "benchmarks.import_bench",
    "api": "benchmarks.api_bench",
    "count": "benchmarks.count_bench",
    "alert": "benchmarks.alert_bench",
}
QUICK_ARGS = {
    "recompute": ["--runs", "1", "--committed-pairs", "1"],
    "pages": ["--rounds", "3"],
    "import": ["--lines", "20000"],
    "api": ["--posts", "40"],
    "count": ["--scans", "10"],
    "alert": ["--trials", "3"],
}


def ensure_data(skus: int | None, reseed: bool) -> None:
    from inventory.demo import seed_demo
    from inventory.models import SKU

    have = SKU.objects.count()
    if skus is None:
        if not have:
            raise SystemExit("The database has no SKUs: pass --skus N to seed it first.")
        return
    if have == skus:
        return
    if have and not reseed:
        raise SystemExit(
            f"The database holds {have:,} SKUs, not {skus:,}: pass --reseed to empty it and "
            "seed again (everything in it is lost), or drop --skus."
        )
    if have:
        print(f"emptying the database ({have:,} SKUs) …", flush=True)
        call_command("flush", interactive=False, verbosity=0)
    print(f"seeding {skus:,} SKUs × 365 days …", flush=True)
    result = seed_demo(skus=skus, days=365, progress=lambda m: print(f"  {m}", flush=True))
    print(f"seeded {result.movements:,} movements in {result.seconds:.0f} s", flush=True)


def ensure_recomputed() -> None:
    """The list pages show planning figures: run the nightly job once if it never ran."""
    from alerts.models import PlanningFigures

    if PlanningFigures.objects.exists():
        return
    print("no planning figures yet: running the nightly recompute once …", flush=True)
    with tempfile.TemporaryDirectory() as broker:
        env = {**os.environ, "BENCH_BROKER_DIR": broker}
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "recompute"], cwd=ROOT, env=env, check=True
        )


def run_bench(name: str, extra: list[str]) -> tuple[list[dict], dict]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    connections.close_all()  # the recompute benchmark copies the database: no other session
    load_before = [round(x, 2) for x in os.getloadavg()]
    started = time.perf_counter()
    print(f"\n=== {name} ===", flush=True)
    process = subprocess.run(  # noqa: S603
        [sys.executable, "-m", BENCHES[name], "--json-out", str(out), *extra], cwd=ROOT
    )
    seconds = time.perf_counter() - started
    figures = json.loads(out.read_text()) if out.exists() and out.stat().st_size else []
    out.unlink(missing_ok=True)
    meta = {
        "exit_code": process.returncode,
        "seconds": round(seconds, 1),
        "load_before": load_before,
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    if process.returncode and not figures:
        figures = [
            {
                "name": f"{name} benchmark",
                "ours": float("nan"),
                "baseline": float("nan"),
                "ratio": float("nan"),
                "unit": "",
                "target": "runs",
                "passed": False,
                "ratio_note": f"exit code {process.returncode}",
            }
        ]
    return figures, meta


def number(value: float) -> str:
    if value != value:  # nan
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def table(rows: list[dict]) -> str:
    header = ("figure", "ours", "baseline", "ratio", "target", "result")
    body = [
        (
            r["name"],
            f"{number(r['ours'])} {r['unit']}".strip(),
            number(r["baseline"]),
            f"{number(r['ratio'])} ({r['ratio_note']})",
            r["target"],
            "pass" if r["passed"] else "FAIL",
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=False)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    for row in body:
        lines.append(" | ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, help="seed this many SKUs × 365 days first")
    parser.add_argument("--reseed", action="store_true", help="empty a database of another size")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(BENCHES)}")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; choose from {list(BENCHES)}")

    ensure_data(args.skus, args.reseed)
    if any(n in names for n in ("pages",)):
        ensure_recomputed()
    from benchmarks.common import bench_cleanup

    bench_cleanup()  # a sandbox left by an interrupted run
    info, size = machine(), data_size()
    print(f"machine: {json.dumps(info)}")
    print(f"data: {size['skus']:,} SKUs, {size['pairs']:,} pairs, ~{size['movements']:,} movements")
    rows, metas = [], {}
    for name in names:
        extra = QUICK_ARGS[name] if args.quick else []
        print(settle_database(), flush=True)
        figures, meta = run_bench(name, extra)
        rows += figures
        metas[name] = meta
        if name == "recompute":  # its rolled-back nights left every derived row 8 times
            print(settle_database(compact=REWRITTEN_BY_ROLLED_BACK_NIGHTS), flush=True)
    print("\n" + "=" * 100)
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB; "
        f"{info['database']} {info.get('postgresql', '')}; Python {info['python']}"
    )
    print(
        f"data: {size['skus']:,} SKUs, {size['pairs']:,} (warehouse, SKU) pairs, "
        f"~{size['movements']:,} movements"
    )
    for name, meta in metas.items():
        print(
            f"  {name}: {meta['seconds']} s, load {meta['load_before'][0]} → "
            f"{meta['load_after'][0]}"
            + (f", exit {meta['exit_code']}" if meta["exit_code"] else "")
        )
    print(table(rows))
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (folder / f"{stamp}.json").write_text(
        json.dumps({"machine": info, "data": size, "runs": metas, "figures": rows}, indent=1)
    )
    print(f"results: var/bench/{stamp}.json")
    if not all(r["passed"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Recompute time against SKU count: seed 10k, 30k and 100k SKUs × 365 days in turn and run the
recompute benchmark on each; write the figures and a plot into docs/.

    DATABASE_URL=postgres://…/sw_x python -m benchmarks.scaling [--sizes 10000,30000,100000]

DESTRUCTIVE: empties the database before each seed (use a benchmark database only). The plot
needs matplotlib (`pip install -e '.[bench]'`); without it only the JSON is written.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import django  # noqa: I001

from benchmarks.common import ROOT, machine

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from inventory.demo import seed_demo  # noqa: E402

DOCS = ROOT / "docs"


def measure(skus: int, runs: int) -> dict:
    call_command("flush", interactive=False, verbosity=0)
    seeded = seed_demo(skus=skus, days=365)
    print(f"{skus:,} SKUs: {seeded.movements:,} movements seeded in {seeded.seconds:.0f} s")
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    # The benchmark copies the database (CREATE DATABASE … TEMPLATE), which no other session
    # may be connected to: this process's connection goes first.
    connections.close_all()
    subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "benchmarks.recompute_bench",
            "--runs",
            str(runs),
            "--json-out",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        env=os.environ,
    )
    figures = json.loads(out.read_text())
    out.unlink()
    details = figures[0]["details"]
    # The target figure: the steady night committed on copies with the second connection, as
    # production runs it, against the plain scan on the same copies (the rolled-back night on
    # one connection when the database cannot be copied).
    committed = "committed_s" in details
    return {
        "skus": skus,
        "movements": seeded.movements,
        "night": "committed, two connections" if committed else "rolled back, one connection",
        "scan_s": details["committed_scan_s"] if committed else details["scan_s"],
        "steady_s": details["committed_s"] if committed else details["steady_s"],
        "rolled_back_s": details["steady_s"],
        "rolled_back_scan_s": details["scan_s"],
        "full_rebuild_s": details["full_s"],
        "rebuild_s": details["rebuild_s"],
        "rss_mib": details["rss_mib"],
        "steady_steps": details.get("committed_steps", details["steady_steps"]),
    }


def plot(points: list[dict], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    skus = [p["skus"] / 1000 for p in points]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    night = points[0].get("night", "")
    label = f"nightly recompute (steady night, {night})" if night else "nightly recompute"
    ax.plot(skus, [p["steady_s"] for p in points], "o-", label=label)
    ax.plot(skus, [p["scan_s"] for p in points], "s--", label="one plain GROUP BY scan")
    ax.plot(skus, [2 * p["scan_s"] for p in points], ":", label="target: 2 × scan")
    ax.plot(skus, [p["full_rebuild_s"] for p in points], "^-", alpha=0.6, label="recompute --full")
    ax.set_xlabel("SKUs (thousands), 365 days of movements")
    ax.set_ylabel("seconds")
    ax.set_title("Recompute time against SKU count (PostgreSQL, 2 cores)")
    ax.set_xlim(0, max(skus) * 1.05)
    ax.set_ylim(0, None)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, format="svg")
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    points = [measure(int(n), args.runs) for n in args.sizes.split(",")]
    result = {"machine": machine(), "points": points}
    (DOCS / "performance-scaling.json").write_text(json.dumps(result, indent=1) + "\n")
    drawn = plot(points, DOCS / "performance-recompute-scaling.svg")
    for p in points:
        print(
            f"{p['skus']:>7,} SKUs {p['movements']:>11,} movements: steady {p['steady_s']:.2f} s "
            f"= {p['steady_s'] / p['scan_s']:.2f} × scan ({p['scan_s']:.2f} s), "
            f"full {p['full_rebuild_s']:.1f} s, RSS {p['rss_mib']:.0f} MiB ({p['night']}; "
            f"rolled back on one connection {p['rolled_back_s']:.2f} s, "
            f"scan {p['rolled_back_scan_s']:.2f} s)"
        )
    print("plot written" if drawn else "matplotlib missing: no plot")


if __name__ == "__main__":
    main()

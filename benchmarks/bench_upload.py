"""Uploads: a 50 MB CSV read, typed and fitted; a 10,000-column CSV read and offered to the builder.

    python -m benchmarks.bench_upload            # from the repository root; --quick for one repeat

Reading is what the app runs off the event loop (``read_upload``: parse with R's missing-value rules and
describe every column), then the column types and the suggested model (``typed_dataset``), then the fit of
the suggested model; the compute-worker path adds sending the read frame back to the app process, timed
separately. The files are simulated here (the seed's biomass design) and deleted afterwards.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import lmmcore
from benchmarks.common import format_timing, machine, markdown_table, time_calls
from lmmcore.datasets import simulate_biomass

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
from explorer import compute  # noqa: E402
from explorer.panels.builder_choices import Choices  # noqa: E402
from explorer.upload.jobs import read_in_worker  # noqa: E402
from explorer.upload.prepare import read_upload, typed_dataset  # noqa: E402

TARGET_MB = 50


def _big_csv(folder: Path) -> Path:
    """About 50 MB of the biomass design (sites of 100 samples)."""
    frame = simulate_biomass(n_sites=7_800, n_per_site=100, seed=1)
    path = folder / "big.csv"
    frame.to_csv(path, index=False)
    return path


def _wide_csv(folder: Path) -> Path:
    """20 rows x 10,000 columns (issue 9's wide file), a response and a grouping column first."""
    rng = np.random.default_rng(2)
    values = rng.normal(size=(20, 9_998)).round(3)
    frame = pd.DataFrame(values, columns=[f"x{i}" for i in range(9_998)])
    frame.insert(0, "g", np.repeat(list("abcde"), 4))
    frame.insert(0, "y", rng.normal(size=20))
    path = folder / "wide.csv"
    frame.to_csv(path, index=False)
    return path


def _read_type_fit(path: Path) -> None:
    read = read_upload(str(path), path.name, "", ("NA",))
    data = typed_dataset(read, "")
    lmmcore.fit(data.suggested_formula, data.frame)


def _read_in_worker(path: Path) -> None:
    job = compute.submit(read_in_worker, path.name, str(path), "", ("NA",), lane="small", budget=120)
    job.wait(120)


def _wide_to_builder(path: Path) -> None:
    read = read_upload(str(path), path.name, "", ("NA",))
    Choices.of_data(typed_dataset(read, ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one repeat per case")
    repeats = 1 if parser.parse_args().quick else 3
    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        big, wide = _big_csv(Path(folder)), _wide_csv(Path(folder))
        size = big.stat().st_size / 2**20
        read = read_upload(str(big), big.name, "", ("NA",))
        formula = typed_dataset(read, "").suggested_formula
        started = time.perf_counter()
        compute.start()
        _read_in_worker(wide)  # the workers are warm before timing
        print(f"workers started in {time.perf_counter() - started:.1f} s")
        rows = [
            [
                f"{size:.0f} MB CSV ({len(read.table.frame):,} rows): read, type, fit {formula}",
                format_timing(time_calls(lambda: _read_type_fit(big), repeats)),
            ],
            [
                "the same file read in a compute worker and sent back (the app's path)",
                format_timing(time_calls(lambda: _read_in_worker(big), repeats)),
            ],
            [
                "10,000-column CSV: read, type, builder choices",
                format_timing(time_calls(lambda: _wide_to_builder(wide), repeats)),
            ],
        ]
        compute.shutdown()
    print(markdown_table(["case", "time: median (best)"], rows))


if __name__ == "__main__":
    main()

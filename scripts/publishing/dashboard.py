"""The trend dashboard (robotframework-dashboard): ``make dashboard``.

    dashboard.py [OUTPUT_XML ...] [--db results/dashboard.db] [--html results/dashboard.html]
                 [--screenshot PNG]

Adds each run's output.xml to the SQLite database (a run already there is left as it is) and
writes one self-contained HTML dashboard (its scripts embedded: it opens offline). With
``--screenshot`` it also renders the page in headless Chromium and fails when the picture is
blank. Prints one line per output and one closing line with the number of runs.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import struct
import subprocess
import sys
import zlib
from pathlib import Path

DB = Path("results/dashboard.db")
HTML = Path("results/dashboard.html")
CHROMIUM = ("chromium", "chromium-browser", "google-chrome")


class DashboardError(RuntimeError):
    """One line: what went wrong and what to do."""


def _robotdashboard() -> str:
    local = Path(sys.executable).with_name("robotdashboard")
    found = str(local) if local.exists() else shutil.which("robotdashboard")
    if not found:
        raise DashboardError("robotdashboard is not installed: run make setup")
    return found


def run_count(db: Path) -> int:
    if not db.is_file():
        return 0
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT COUNT(DISTINCT run_start) FROM runs").fetchone()[0]


def build(outputs: list[Path], db: Path, html: Path, title: str) -> int:
    """Add ``outputs`` to ``db`` and write ``html``; return the number of runs in ``db``."""
    present = []
    for output in outputs:
        if output.is_file():
            present.append(output)
        else:
            print(f"dashboard: {output} does not exist; skipped")
    if not present and not db.is_file():
        raise DashboardError(
            "no output.xml to add and no database yet: run the suite first (make test)"
        )
    db.parent.mkdir(parents=True, exist_ok=True)
    html.parent.mkdir(parents=True, exist_ok=True)
    command = [_robotdashboard(), "-d", str(db), "-n", str(html), "-t", title]
    command += ["--offlinedependencies", "true", "--listruns", "false"]
    for output in present:
        command += ["-o", str(output)]
    before = run_count(db)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        raise DashboardError("robotdashboard did not finish within 300 s") from None
    # robotdashboard names outputs by their base name (all "output.xml"): follow its order.
    verdicts: list[str] = []
    errors: list[str] = []
    for line in (x.strip() for x in done.stdout.splitlines()):
        if line.startswith("Processing output XML"):
            verdicts.append("added")
        elif "same output again" in line and verdicts:
            verdicts[-1] = "already in the database"
        elif "ERROR" in line:
            errors.append(line)
    for output, verdict in zip(present, verdicts, strict=False):
        print(f"dashboard: {output}: {verdict}")
    real = errors
    if done.returncode != 0 or real or not html.is_file():
        detail = (real or done.stderr.strip().splitlines() or ["no dashboard written"])[-1]
        raise DashboardError(f"robotdashboard failed: {detail}")
    after = run_count(db)
    print(f"dashboard: {after} run(s) in {db} ({after - before} new) -> {html}")
    return after


def _png_rows(png: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, bytes per pixel and the unfiltered rows of an 8-bit RGB(A) PNG."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise DashboardError("the screenshot is not a PNG")
    pos, idat, header = 8, b"", b""
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        data = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = data
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    if depth != 8 or colour not in (2, 6):
        raise DashboardError(f"unexpected PNG format (depth {depth}, colour type {colour})")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = previous[x]
            c = previous[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + b) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, bpp, rows


def picture_stats(png: bytes) -> tuple[int, float]:
    """Distinct colours and the share of pixels unlike the most common one (the background)."""
    width, height, bpp, rows = _png_rows(png)
    counts: dict[bytes, int] = {}
    for row in rows[::4]:  # every 4th row and column: plenty for a verdict
        for x in range(0, width * bpp, bpp * 4):
            pixel = row[x : x + 3]
            counts[pixel] = counts.get(pixel, 0) + 1
    total = sum(counts.values())
    return len(counts), 1 - max(counts.values()) / total


def screenshot(html: Path, png: Path, width: int = 1400, height: int = 1000) -> tuple[int, float]:
    """Render ``html`` in headless Chromium to ``png``; fail if the picture is blank."""
    browser = next((b for b in map(shutil.which, CHROMIUM) if b), None)
    if browser is None:
        raise DashboardError("chromium is not installed: sudo apt-get install -y chromium")
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    command = [
        browser,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        f"--window-size={width},{height}",
        # Virtual time runs the page's scripts and chart animations to the end, then draws.
        "--virtual-time-budget=30000",
        "--run-all-compositor-stages-before-draw",
        f"--screenshot={png.resolve()}",
        html.resolve().as_uri(),
    ]
    try:
        subprocess.run(command, capture_output=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        raise DashboardError("chromium did not render the dashboard within 120 s") from None
    if not png.is_file():
        raise DashboardError(f"chromium wrote no screenshot of {html}")
    colours, ink = picture_stats(png.read_bytes())
    if colours < 16 or ink < 0.02:
        raise DashboardError(
            f"the dashboard screenshot {png} is blank ({colours} colours, {ink:.1%} non-background)"
        )
    print(f"dashboard: screenshot {png}: {colours} colours, {ink:.0%} non-background")
    return colours, ink


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dashboard.py", description=__doc__)
    parser.add_argument("outputs", nargs="*", type=Path)
    parser.add_argument("--db", type=Path, default=DB)
    parser.add_argument("--html", type=Path, default=HTML)
    parser.add_argument("--title", default="Focus suite trends")
    parser.add_argument("--screenshot", type=Path, help="also render the page to this PNG")
    args = parser.parse_args(argv)
    try:
        build(args.outputs, args.db, args.html, args.title)
        if args.screenshot:
            screenshot(args.html, args.screenshot)
    except DashboardError as error:
        print(f"dashboard: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Markdown table of criterion medians from target/criterion, one column per saved baseline.

    cargo bench --bench stages -- --save-baseline after
    python3 benches/table.py before after
    python3 benches/table.py --pivot after     # one row per frame, one column per bench

Each row also gives the last baseline's time as a multiple of the group's `floor` bench (one
read pass over the frame's luma) and its throughput in frame megapixels per second.
With --pivot: one table per bench file (pipeline, stages), one row per frame and one column per
bench, for the one baseline given; the pipeline table adds the NV21 pipeline over the warm and
the cold floor.
"""
import json
import re
import os
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion")
pivot = "--pivot" in sys.argv[1:]
baselines = [a for a in sys.argv[1:] if a != "--pivot"] or ["new"]


def median(group_dir, bench, baseline):
    path = os.path.join(root, group_dir, bench, baseline, "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]
    except (OSError, KeyError, ValueError):
        return None


def fmt(ns):
    if ns is None:
        return "-"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.0f} ns"


def pivot_tables(baseline):
    """Frame x bench tables of one baseline's medians (pipeline, then stages)."""
    for kind in ("pipeline", "stages"):
        frames, cols, cells = [], [], {}
        for group_dir in sorted(os.listdir(root)):
            if not group_dir.startswith(kind + "_"):
                continue
            frame = group_dir[len(kind) + 1:]
            gpath = os.path.join(root, group_dir)
            for bench in sorted(os.listdir(gpath)):
                t = median(group_dir, bench, baseline)
                if t is None:
                    continue
                if frame not in frames:
                    frames.append(frame)
                if bench not in cols:
                    cols.append(bench)
                cells[(frame, bench)] = t
        if kind == "pipeline":
            order = ["floor", "floor_cold", "nv21", "nv21_cold", "gray8", "rgb8"]
        else:
            order = ["floor", "floor_cold", "downsample_nv21", "downsample_nv21_cold",
                     "downsample_gray8", "downsample_rgb8", "segment", "fingers",
                     "roi_copy_all_fingers", "roi_copy_all_fingers_rgb8", "ridge_all_fingers",
                     "focus_all_fingers", "exposure_glare"]
        cols = [c for c in order if c in cols] + [c for c in cols if c not in order]
        extra = ["nv21 / floor", "nv21 / floor_cold"] if kind == "pipeline" else []
        # Frames by pixel count, generated and sample frames alike.
        def px(f):
            m = re.search(r"(\d+)x(\d+)$", f)
            return int(m.group(1)) * int(m.group(2)) if m else 0
        frames.sort(key=px)
        print(f"\n{kind} ({baseline})\n")
        print("| frame | " + " | ".join(cols + extra) + " |")
        print("|---|" + "---:|" * len(cols + extra))
        for f in frames:
            row = [fmt(cells.get((f, c))) for c in cols]
            for num, den in (("nv21", "floor"), ("nv21", "floor_cold"))[: len(extra)]:
                a, b = cells.get((f, num)), cells.get((f, den))
                row.append(f"{a / b:.0f}x" if a and b else "-")
            print(f"| {f} | " + " | ".join(row) + " |")


if pivot:
    pivot_tables(baselines[-1])
    sys.exit(0)

rows = []
for group_dir in sorted(os.listdir(root)):
    gpath = os.path.join(root, group_dir)
    if group_dir == "report" or not os.path.isdir(gpath):
        continue
    benches = [b for b in sorted(os.listdir(gpath)) if b != "report"]
    floor = median(group_dir, "floor", baselines[-1])
    for bench in benches:
        meta = None
        for b in baselines + ["new"]:
            p = os.path.join(gpath, bench, b, "benchmark.json")
            if os.path.exists(p):
                with open(p) as f:
                    meta = json.load(f)
                break
        if meta is None:
            continue
        times = [median(group_dir, bench, b) for b in baselines]
        last = times[-1]
        pixels = (meta.get("throughput") or {}).get("Elements")
        ratio = f"{last / floor:.1f}x" if last and floor else "-"
        mps = f"{pixels / last * 1e3:.0f}" if last and pixels else "-"
        rows.append([meta["group_id"], meta["function_id"]] + [fmt(t) for t in times] + [ratio, mps])

head = ["group", "bench"] + baselines + [f"{baselines[-1]} / floor", "Mpx/s"]
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for r in rows:
    print("| " + " | ".join(r) + " |")

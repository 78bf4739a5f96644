#!/usr/bin/env python3
"""Markdown table of criterion medians from target/criterion, one column per saved baseline.

    cargo bench --bench stages -- --save-baseline after
    python3 benches/table.py before after

Each row also gives the last baseline's time as a multiple of the group's `floor` bench (one
read pass over the frame's luma) and its throughput in frame megapixels per second.
"""
import json
import os
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion")
baselines = sys.argv[1:] or ["new"]


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

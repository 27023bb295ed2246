#!/usr/bin/env python3
"""Draws DIR/compare.png from a comparison's DIR/compare.json: one panel per figure, each variant's paired
difference from the baseline (relative, in %) with its 95 % interval; green where the verdict is better, red
where worse, grey where no difference is detectable (Holm-corrected across figures, as compare.json states)."""
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"better": "tab:green", "worse": "tab:red"}


def main(out):
    doc = json.load(open(os.path.join(out, "compare.json")))
    rows = doc["rows"]
    metrics = list(dict.fromkeys(r["metric"] for r in rows))
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    cols = 5
    nrows = math.ceil(len(metrics) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols, 2.6 * nrows), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        for y, variant in enumerate(variants):
            r = next(r for r in rows if r["metric"] == metric and r["variant"] == variant)
            base = r["baseline_mean"]
            scale = 100.0 / abs(base) if base else 1.0
            x = r["difference"] * scale
            color = COLORS.get(r["verdict"], "grey")
            if r["ci_low"] is not None:
                lo, hi = r["ci_low"] * scale, r["ci_high"] * scale
                ax.errorbar(x, y, xerr=[[x - lo], [hi - x]], fmt="o", color=color, capsize=3)
            else:
                ax.plot(x, y, "o", color=color, fillstyle="none")
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_yticks(range(len(variants)))
        ax.set_yticklabels(variants, fontsize=8)
        ax.set_ylim(-0.5, len(variants) - 0.5)
        better = next(r["better"] for r in rows if r["metric"] == metric)
        ax.set_title(f"{metric} ({better} is better)", fontsize=8)
        ax.set_xlabel("difference, % of baseline", fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(metrics):]:
        ax.axis("off")
    fig.suptitle(f"moesim compare {doc['scenario']}: {doc['seeds']} seeds, {doc['streams']} streams; "
                 "95 % intervals, verdicts Holm-corrected across figures", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "compare.png"), dpi=100)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")

#!/usr/bin/env python3
"""Draws DIR/pareto.png from a plan's DIR/plan.json: cost against TTFT p90 and against per-user speed p10, every
simulated candidate (filled: feasible) with its 95 % interval over the seeds, its screened figures beside it (x,
joined), and the frontier."""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(out):
    plan = json.load(open(os.path.join(out, "plan.json")))
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    panels = [("ttft_p90_s", "TTFT p90 (s)"), ("user_tokens_per_s_p10", "per-user tokens/s, p10")]
    frontier = {f["candidate"] for f in plan.get("frontier", [])}
    for ax, (figure, label) in zip(axes, panels):
        for c in plan.get("simulated", []):
            f = c["figures"]
            sx, sy = f[figure].get("simulation") or {}, f["cost_usd"].get("simulation") or {}
            sim = (sx.get("mean"), sy.get("mean"))
            scr = (f[figure].get("screen"), f["cost_usd"].get("screen"))
            color = "tab:red" if c["candidate"] in frontier else "tab:blue"
            if None not in sim:
                # The 95 % Student-t interval over the seeds, where there is one (two seeds or more).
                xerr = [[sim[0] - sx["low"]], [sx["high"] - sim[0]]] if sx.get("low") is not None else None
                yerr = [[sim[1] - sy["low"]], [sy["high"] - sim[1]]] if sy.get("low") is not None else None
                ax.errorbar(*sim, xerr=xerr, yerr=yerr, fmt="o", color=color, capsize=2, linewidth=0.8,
                            fillstyle="full" if c.get("feasible_by_simulation") else "none")
                ax.annotate(str(c["candidate"]), sim, fontsize=7, xytext=(3, 3), textcoords="offset points")
            if None not in sim and None not in scr:
                ax.plot([sim[0], scr[0]], [sim[1], scr[1]], ":", color="grey", linewidth=0.8)
                ax.plot(*scr, "x", color="grey")
        for c in plan.get("constraints", []):
            if c["figure"] == figure:
                for k in ("min", "max"):
                    if k in c:
                        ax.axvline(c[k], color="black", linestyle="--", linewidth=0.8)
        ax.set_xlabel(label)
        ax.set_ylabel("cost (USD)")
        ax.grid(alpha=0.3)
    axes[0].set_title("simulated, 95 % intervals (filled: feasible; red: frontier); x: the screen's")
    fig.suptitle(f"moesim plan: {plan.get('objective', '')} over {plan.get('candidates_screened', 0)} screened, "
                 f"{plan.get('candidates_simulated', 0)} simulated")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "pareto.png"), dpi=110)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")

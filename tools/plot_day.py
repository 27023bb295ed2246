#!/usr/bin/python3
"""Plots of a moesim run, as PNG files in the run's folder.

Usage: tools/plot_day.py OUT_DIR [--published-nodes scenarios/deepseek-day-nodes-published.csv]
                                 [--published-hourly traces/samples/deepseek-day-hourly.csv]

Reads OUT_DIR/minutes.csv, hourly.csv and latency-cdf.csv (written by `moesim run`) and writes nodes.png,
economics.png, user-speed-ttft.png, latency-cdf.png and balance.png. The published files, when given, are drawn
beside the simulation for comparison only.
"""
import argparse
import csv
import datetime as dt
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def published_nodes(path):
    rows = read_csv(path)
    fmt = "%Y-%m-%d %H:%M"
    t0 = dt.datetime.strptime(rows[0]["start_utc8"], fmt)
    xs, ys = [], []
    for r in rows:
        a = (dt.datetime.strptime(r["start_utc8"], fmt) - t0).total_seconds() / 3600
        b = (dt.datetime.strptime(r["end_utc8"], fmt) - t0).total_seconds() / 3600
        n = float(r["h800_nodes"])
        xs += [a, b]
        ys += [n, n]
    return xs, ys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--published-nodes")
    ap.add_argument("--published-hourly")
    args = ap.parse_args()
    import json
    resolved = json.load(open(os.path.join(args.out_dir, "resolved-scenario.json")))
    w = resolved.get("workload", {})
    scale = w.get("scale", 1.0) if w.get("kind") == "generator" else 1.0
    scaled = f" x {scale:g} (the run's workload scale)" if scale != 1.0 else ""
    minutes = read_csv(os.path.join(args.out_dir, "minutes.csv"))
    hourly = read_csv(os.path.join(args.out_dir, "hourly.csv"))
    cdf = read_csv(os.path.join(args.out_dir, "latency-cdf.csv"))
    if not minutes:
        sys.exit(f"{args.out_dir}/minutes.csv: no rows")
    hours = [float(r["start_s"]) / 3600 for r in minutes]
    f = lambda rows, k: [float(r[k]) for r in rows]  # noqa: E731

    fig, ax = plt.subplots(figsize=(10, 4.5))
    pre, dec = f(minutes, "prefill_nodes"), f(minutes, "decode_nodes")
    ax.stackplot(hours, pre, dec, labels=["prefill nodes (simulated)", "decode nodes (simulated)"],
                 colors=["#8fb3d9", "#2c6fad"], alpha=0.8)
    if args.published_nodes:
        xs, ys = published_nodes(args.published_nodes)
        ax.plot(xs, [y * scale for y in ys], color="#d1495b", lw=2, label="published total nodes" + scaled)
    ax.set_xlabel("hours since the start of the run")
    ax.set_ylabel("H800 nodes")
    ax.set_title("Nodes over the day")
    ax.legend(loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out_dir, "nodes.png"), dpi=110)

    fig, ax = plt.subplots(figsize=(10, 4.5))
    hx = [float(r["start_s"]) / 3600 for r in hourly]
    w = 0.4
    ax.bar([x + 0.5 - w / 2 for x in hx], f(hourly, "cost_usd"), w, label="cost (simulated)", color="#f4a259")
    ax.bar([x + 0.5 + w / 2 for x in hx], f(hourly, "revenue_usd"), w, label="theoretical revenue (simulated)",
           color="#5b8e7d")
    if args.published_hourly:
        pub = read_csv(args.published_hourly)
        ax.plot([i + 0.5 for i in range(len(pub))],
                [float(r["theoretical_income_usd_digitized"]) * scale for r in pub], "k.--",
                label="published theoretical income" + scaled)
    ax.set_xlabel("hour of the run")
    ax.set_ylabel("USD per hour")
    ax.set_title("Cost and theoretical revenue per hour")
    ax.legend()
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(os.path.join(args.out_dir, "economics.png"), dpi=110)

    fig, ax1 = plt.subplots(figsize=(10, 4.5))
    ax1.plot(hours, f(minutes, "user_tokens_per_s_mean"), color="#2c6fad", label="per-user tokens/s (mean)")
    ax1.axhline(21, color="#2c6fad", ls=":", lw=1)
    ax1.set_ylabel("tokens/s per user", color="#2c6fad")
    ax2 = ax1.twinx()
    ax2.plot(hours, f(minutes, "ttft_mean_s"), color="#d1495b", label="TTFT (mean)")
    ax2.set_ylabel("TTFT (s)", color="#d1495b")
    ax1.set_xlabel("hours since the start of the run")
    ax1.set_title("Per-user speed and time to first token over the day (per minute)")
    ax1.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out_dir, "user-speed-ttft.png"), dpi=110)

    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    q = f(cdf, "quantile")
    for ax, key, label in zip(axes, ["ttft_s", "user_tokens_per_s", "e2e_s"],
                              ["TTFT (s)", "per-user tokens/s", "end-to-end latency (s)"]):
        ax.plot(f(cdf, key), q)
        ax.set_xlabel(label)
        ax.set_ylabel("fraction of requests")
        ax.grid(alpha=0.3)
    axes[0].set_xscale("log")
    axes[2].set_xscale("log")
    fig.suptitle("Latency CDFs")
    fig.tight_layout()
    fig.savefig(os.path.join(args.out_dir, "latency-cdf.png"), dpi=110)

    fig, ax = plt.subplots(figsize=(10, 4))
    for key, label in [("prefill_rank_balance", "prefill ranks: attention mean/max"),
                       ("decode_rank_balance", "decode ranks: KV mean/max"),
                       ("expert_balance", "decode experts: routed tokens mean/max"),
                       ("kv_occupancy", "decode KV occupancy")]:
        ax.plot(hours, f(minutes, key), label=label)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("hours since the start of the run")
    ax.set_title("Balancedness over the day (per minute, step-weighted)")
    ax.legend(loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out_dir, "balance.png"), dpi=110)
    print(f"wrote {args.out_dir}/nodes.png, economics.png, user-speed-ttft.png, latency-cdf.png, balance.png")


if __name__ == "__main__":
    main()

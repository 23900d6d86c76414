"""``fabric plot DIR``: pictures of a run's `--stats` tables (fabric/activity.py). Link utilisation as a heat
map on a mesh or torus, one panel per dimension and direction; by kind of link elsewhere (tiers of a tree or
Clos, local and global links of a dragonfly); and the time series. Needs matplotlib."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from .errors import FabricError

WHAT = ("links", "series")


def read_table(folder, name: str) -> dict:
    """Table NAME of a --stats-dir folder, Parquet or CSV, as numpy columns."""
    folder = Path(folder)
    parquet, text = folder / f"{name}.parquet", folder / f"{name}.csv"
    if parquet.exists():
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise FabricError(f"{parquet}: reading Parquet needs pyarrow: pip install 'fabric-sim[parquet]'") from None
        table = pq.read_table(parquet)
        return {k: np.asarray(table.column(k).to_numpy(zero_copy_only=False)) for k in table.column_names}
    if not text.exists():
        raise FabricError(f"{folder}: no {name} table (write it with --stats {name} --stats-dir {folder})")
    with open(text, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise FabricError(f"{text}: empty")
    columns = {}
    for i, key in enumerate(rows[0]):
        values = [r[i] for r in rows[1:]]
        try:
            columns[key] = np.array([float(v) if v != "" else np.nan for v in values])
        except ValueError:
            columns[key] = np.array(values, dtype=object)
    return columns


def plot_stats(folder, output, what: str = "links") -> None:
    if what not in WHAT:
        raise FabricError(f"--stats: draws {' or '.join(WHAT)}, not {what!r}")
    try:
        import matplotlib
    except ImportError:
        raise FabricError("fabric plot needs matplotlib: pip install 'fabric-sim[plot]'") from None
    if str(output).rsplit(".", 1)[-1].lower() not in ("png", "svg"):
        raise FabricError(f"--output: {output}: the picture must end in .png or .svg")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = (_links if what == "links" else _series)(folder, plt)
    fig.savefig(output)
    plt.close(fig)


def _links(folder, plt):
    links = read_table(folder, "links")
    groups = [str(g) for g in links["group"]]
    if any(g.startswith("dim ") and g[-1] in "+-" for g in groups):
        routers = read_table(folder, "routers")
        if "coord0" in routers:
            return _grid_heat_maps(links, groups, routers, plt)
    return _by_group(links, groups, plt)


def link_grids(links, routers) -> dict:
    """Per (dimension, way) of a mesh or torus, the utilisation of each router's output link that way on
    the grid of its first two coordinates (y, x), averaged over the other coordinates; NaN where a router
    has no such link."""
    groups = np.asarray([str(g) for g in links["group"]])
    coords = np.stack([routers[k] for k in sorted(k for k in routers if k.startswith("coord"))], axis=1).astype(int)
    dims = coords.max(axis=0) + 1
    width, height = dims[0], (dims[1] if len(dims) > 1 else 1)
    router_of = np.asarray(links["router"]).astype(int)
    utilisation = np.asarray(links["utilisation"], float)
    grids = {}
    for name in sorted({g for g in groups if g.startswith("dim ") and g[-1] in "+-"}):
        total, count = np.zeros((height, width)), np.zeros((height, width))
        for i in np.flatnonzero(groups == name):
            c = coords[router_of[i]]
            y = c[1] if len(c) > 1 else 0
            total[y, c[0]] += utilisation[i]
            count[y, c[0]] += 1
        grids[(int(name.split()[1]), name[-1])] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return grids


def _grid_heat_maps(links, groups, routers, plt):
    """One panel per dimension and direction of a mesh or torus (link_grids), coloured by utilisation."""
    grids = link_grids(links, routers)
    n_dims = max(d for d, _ in grids) + 1
    fig, axes = plt.subplots(n_dims, 2, figsize=(7.2, 3.2 * n_dims), dpi=120, squeeze=False)
    top = max(max(float(np.nanmax(g)) if np.isfinite(g).any() else 0.0 for g in grids.values()), 1e-9)
    image = None
    for d in range(n_dims):
        for j, way in enumerate("+-"):
            ax = axes[d, j]
            grid = grids.get((d, way), np.full((1, 1), np.nan))
            image = ax.imshow(grid, origin="lower", cmap="viridis", vmin=0, vmax=top, interpolation="nearest")
            ax.set_title(f"dimension {d}, {way} way", fontsize=9)
            ax.set_xlabel("coordinate 0")
            ax.set_ylabel("coordinate 1" if grid.shape[0] > 1 else "")
    fig.colorbar(image, ax=axes, shrink=0.8, label="link utilisation (output port of the router)")
    return fig


def group_order(name: str):
    """Kinds of link in the order a packet meets them: up a tree's tiers, then down, then ejection."""
    kind, _, tiers = name.partition(" ")
    if kind in ("up", "down") and "-" in tiers:
        low = int(tiers.split("-")[0])
        return (1, 0, low) if kind == "up" else (1, 1, -low)
    return (2 if name == "ejection" else 0, 0, name)


def _by_group(links, groups, plt):
    """Utilisation of every link, one column per kind of link (tiers, link classes, ejection)."""
    names = sorted(set(groups), key=group_order)
    utilisation = np.asarray(links["utilisation"], float)
    fig, ax = plt.subplots(figsize=(max(4.8, 1.1 * len(names) + 2), 4.4), dpi=120)
    data = [utilisation[np.asarray(groups) == g] for g in names]
    ax.boxplot(data, whis=(0, 100))
    rng = np.random.default_rng(0)          # jitter, so the points of a column do not hide each other
    for i, values in enumerate(data, 1):
        ax.plot(i + rng.uniform(-0.15, 0.15, len(values)), values, linestyle="none", marker=".", markersize=3,
                alpha=0.5)
    ax.set_xticks(range(1, len(names) + 1), names, rotation=20)
    ax.set_ylabel("link utilisation")
    ax.set_xlabel("kind of link")
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def _series(folder, plt):
    s = read_table(folder, "series")
    classes = list(dict.fromkeys(str(c) for c in s["class"]))
    fig, axes = plt.subplots(3, 1, figsize=(7.2, 7.6), dpi=120, sharex=True)
    middle = (np.asarray(s["start"], float) + np.asarray(s["end"], float)) / 2
    for name in classes:
        rows = np.asarray([str(c) == name for c in s["class"]])
        label = None if len(classes) == 1 else name
        line, = axes[0].plot(middle[rows], np.asarray(s["accepted"], float)[rows], label=f"accepted {label or ''}".strip())
        axes[0].plot(middle[rows], np.asarray(s["created"], float)[rows], linestyle="--", color=line.get_color(),
                     label=f"created {label or ''}".strip())
        axes[1].plot(middle[rows], np.asarray(s["latency_mean"], float)[rows], label=label)
        axes[2].plot(middle[rows], np.asarray(s["in_network_flits"], float)[rows], color=line.get_color(),
                     label=f"in the network {label or ''}".strip())
        axes[2].plot(middle[rows], np.asarray(s["queued_flits"], float)[rows], linestyle="--", color=line.get_color(),
                     label=f"in source queues {label or ''}".strip())
    axes[0].set_ylabel("flits/endpoint/cycle")
    axes[1].set_ylabel("mean packet latency (cycles)")
    axes[2].set_ylabel("flits")
    axes[2].set_xlabel("cycle")
    for ax in axes:
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.tight_layout()
    return fig

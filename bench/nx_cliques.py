#!/usr/bin/python3
"""nx_cliques.py - a reference for the clique engine, written with networkx
(Debian's python3-networkx): it reads what `bench_cliques --nx-out FILE`
wrote (the live graph as the engine sees it, the clique type in force for
each focal point type, a sample of focal points and the engine's cliques of
them), grows the same cliques with networkx, checks that members and links
are identical, and prints both engines' times.

The growth rule, as docs/cliques.md states it: from the focal point, for
each entry "A-B" of the clique type in order, follow from every object of
type A reached before that entry the links stored as "A-B" (A the source)
or "B-A" (A the target) to objects of type B; with the `network`
constraint a link that carries a network is followed only when it is one
of the focal point's (a network focal point is its own; a focal point with
no network is not constrained).

usage: nx_cliques.py FILE
Exit status: 0 identical, 1 a difference (printed), 2 bad input.
"""

import json
import sys
import time

import networkx as nx


def build_graph(doc):
    g = nx.MultiGraph()
    for node_id, node_type, nets in doc["nodes"]:
        g.add_node(node_id, type=node_type, nets=frozenset(nets))
    for src, dst, ltype, net in doc["links"]:
        g.add_edge(src, dst, key=(src, ltype, dst), src=src, ltype=ltype, net=net)
    return g


def grow(g, focal, plan):
    ftype = g.nodes[focal]["type"]
    fnets = frozenset([focal]) if ftype == "network" else g.nodes[focal]["nets"]
    constrained = plan["network"] and len(fnets) > 0
    reached = [focal]
    members = {focal}
    links = set()
    for a, b in plan["steps"]:
        fwd = f"{a}-{b}"
        back = f"{b}-{a}" if a != b else None
        for u in list(reached):
            if g.nodes[u]["type"] != a:
                continue
            for _, v, key, data in g.edges(u, keys=True, data=True):
                lt = data["ltype"]
                if lt == fwd:
                    if a != b and data["src"] != u:
                        continue
                elif back is not None and lt == back:
                    if data["src"] == u:
                        continue
                else:
                    continue
                if g.nodes[v]["type"] != b:
                    continue
                if constrained and data["net"] is not None and data["net"] not in fnets:
                    continue
                links.add(key)
                if v not in members:
                    members.add(v)
                    reached.append(v)
    return members, links


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    t0 = time.perf_counter()
    g = build_graph(doc)
    t_load = time.perf_counter() - t0
    sample = list(doc["cliques"].keys())
    t0 = time.perf_counter()
    ours = {}
    for focal in sample:
        plan = doc["types"][g.nodes[focal]["type"]]
        ours[focal] = grow(g, focal, plan)
    t_grow = time.perf_counter() - t0
    bad = 0
    for focal in sample:
        want_nodes = set(doc["cliques"][focal]["nodes"])
        want_links = set(tuple(l) for l in doc["cliques"][focal]["links"])
        nodes, links = ours[focal]
        if nodes != want_nodes or links != want_links:
            bad += 1
            if bad <= 5:
                print(f"DIFFERENT clique of {focal}:")
                print(f"  only engine:   nodes {sorted(want_nodes - nodes)} "
                      f"links {sorted(want_links - links)}")
                print(f"  only networkx: nodes {sorted(nodes - want_nodes)} "
                      f"links {sorted(links - want_links)}")
    c_load = doc["timing"]["load_s"]
    c_grow = doc["timing"]["grow_s"]
    types = {}
    for focal in sample:
        t = g.nodes[focal]["type"]
        types[t] = types.get(t, 0) + 1
    members = sum(len(ours[f][0]) for f in sample)
    print(f"networkx {nx.__version__}: {len(sample)} focal points "
          f"({', '.join(f'{n} {t}' for t, n in sorted(types.items()))}), "
          f"{members} members in all")
    print(f"  identical cliques: {len(sample) - bad} of {len(sample)}")
    print(f"  graph:  networkx {t_load:8.3f} s (from the exported JSON)   "
          f"engine {c_load:8.3f} s (from the store)")
    print(f"  growth: networkx {t_grow:8.3f} s   engine {c_grow:8.4f} s   "
          f"engine is {t_grow / max(c_grow, 1e-6):.0f}x faster")
    print(f"  both:   networkx {t_load + t_grow:8.3f} s   engine {c_load + c_grow:8.3f} s   "
          f"engine is {(t_load + t_grow) / max(c_load + c_grow, 1e-6):.1f}x faster")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

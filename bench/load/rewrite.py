#!/usr/bin/env python3
"""Rewrites catalog files every 100 ms while bench/load.sh drives the server.

Usage: rewrite.py CATALOG_DIR SECONDS [--every 0.1]
       rewrite.py CATALOG_DIR --init      (writes the probe at revision 0 and stops)

Each tick writes the probe file `zz-load-probe.yaml` (two systems sharing revision N: see
mix.lua) by writing a temporary file and renaming it over the old one, as editors and `git
checkout` do. Every 5th tick also writes a broken file instead (a YAML syntax error, an unknown
owner or an unknown dependency, in turn), removed again at the next tick, and every 3rd tick
rewrites the description of a real system file. Prints what it did on exit.
"""

import os
import random
import re
import sys
import time


def atomic_write(path, text):
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def probe(rev, owner):
    return (
        "kind: system\n"
        "name: load-probe-a\n"
        "title: Load probe A\n"
        f"description: The load test's probe, loadrev-{rev}.\n"
        f"owner: {owner}\n"
        "tags: [loadprobe]\n"
        "---\n"
        "kind: system\n"
        f"name: load-probe-b-{rev}\n"
        "title: Load probe B\n"
        f"description: Depends on the probe at loadrev-{rev}.\n"
        f"owner: {owner}\n"
        "tags: [loadprobe]\n"
        "depends_on: [load-probe-a]\n"
    )


BROKEN = [
    "kind: system\nname: [unclosed\nowner: team-0\n",
    "kind: system\nname: load-broken\nowner: no-such-team\n",
    "kind: system\nname: load-broken\nowner: team-0\ndepends_on: [no-such-system]\n",
]


def main():
    args = sys.argv[1:]
    every = 0.1
    if "--every" in args:
        k = args.index("--every")
        every = float(args[k + 1])
        del args[k : k + 2]
    if args[1:] == ["--init"]:
        atomic_write(os.path.join(args[0], "zz-load-probe.yaml"), probe(0, "team-0"))
        return
    root, seconds = args[0], float(args[1])
    systems = []
    for d, _, files in os.walk(os.path.join(root, "systems")):
        systems += [os.path.join(d, f) for f in files if f.endswith(".yaml")]
    systems.sort()
    rng = random.Random(1)
    probe_path = os.path.join(root, "zz-load-probe.yaml")
    broken_path = os.path.join(root, "zz-load-broken.yaml")
    counts = {"probe": 0, "broken": 0, "real": 0}
    start = time.monotonic()
    tick = 0
    while time.monotonic() - start < seconds:
        tick += 1
        if os.path.exists(broken_path):
            os.remove(broken_path)
        if tick % 5 == 0:
            atomic_write(broken_path, BROKEN[(tick // 5) % len(BROKEN)])
            counts["broken"] += 1
        else:
            atomic_write(probe_path, probe(tick, "team-0"))
            counts["probe"] += 1
        if tick % 3 == 0 and systems:
            path = systems[rng.randrange(len(systems))]
            with open(path) as f:
                text = f.read()
            text = re.sub(r"(?m)^description: .*$", f"description: Rewritten by the load test, tick {tick}.", text, count=1)
            atomic_write(path, text)
            counts["real"] += 1
        next_at = start + tick * every
        time.sleep(max(0.0, next_at - time.monotonic()))
    if os.path.exists(broken_path):
        os.remove(broken_path)
    elapsed = time.monotonic() - start
    print(
        f"REWRITE ticks={tick} probe_edits={counts['probe']} broken_edits={counts['broken']} "
        f"real_file_edits={counts['real']} seconds={elapsed:.1f}"
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Mutation testing: apply each one-line mutation of scripts/mutations.txt to a scratch copy of
the tree, rebuild the test programs of its suite (scripts/mutation_suites.txt), run them, and
count it killed when one fails. Prints a line per mutation and the score per area.

  scripts/mutate.py [-k AREA,...] [-o WORKDIR] [--min PERCENT]

The scratch copy (default /tmp/mlx5tls-mutate) holds its own build tree, kept between runs so
that only what a mutation touches is rebuilt. Exit status 1 if the score is below --min.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_list(path):
    muts = []
    for n, line in enumerate(open(path), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        line = line.replace(" | | ", " |  | ")
        parts = line.split(" | ")
        if len(parts) != 5:
            sys.exit("%s:%d: expected AREA | FILE | TEXT | REPLACEMENT | TESTS" % (path, n))
        area, file, text, repl, tests = (p.strip() for p in parts)
        text = text.replace("\\n", "\n").replace("\\t", "\t")
        repl = repl.replace("\\n", "\n").replace("\\t", "\t")
        muts.append((n, area, file, text, repl, tests))
    return muts


def parse_suites(path):
    suites = {}
    for line in open(path):
        if "=" in line and not line.lstrip().startswith("#"):
            k, v = line.split("=", 1)
            suites[k.strip()] = v.split()
    return suites


def run(cmd, cwd, timeout=None):
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return 124, "timeout"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", "--areas", help="only these areas (comma-separated)")
    ap.add_argument("-o", "--workdir", default="/tmp/mlx5tls-mutate")
    ap.add_argument("--min", type=float, default=0.0, help="fail below this score (percent)")
    ap.add_argument("-j", "--jobs", default=str(os.cpu_count() or 2))
    args = ap.parse_args()

    muts = parse_list(os.path.join(ROOT, "scripts/mutations.txt"))
    suites = parse_suites(os.path.join(ROOT, "scripts/mutation_suites.txt"))
    if args.areas:
        keep = set(args.areas.split(","))
        muts = [m for m in muts if m[1] in keep]

    # a scratch copy of what git tracks (plus untracked, not ignored files)
    work = args.workdir
    src = os.path.join(work, "src")
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, stdout=subprocess.PIPE, check=True).stdout.split(b"\0")
    for f in files:
        if not f:
            continue
        f = f.decode()
        s, d = os.path.join(ROOT, f), os.path.join(src, f)
        if not os.path.isfile(s):
            continue
        os.makedirs(os.path.dirname(d), exist_ok=True)
        if not os.path.exists(d) or open(s, "rb").read() != open(d, "rb").read():
            shutil.copy2(s, d)
    build = os.path.join(work, "build")
    rc, out = run(["cmake", "-S", src, "-B", build, "-DMLX5TLS_WERROR=ON",
                   "-DMLX5TLS_BUILD_TESTS=ON"], work)
    if rc:
        sys.exit("cmake failed:\n" + out)

    def targets_of(spec):
        names = []
        for t in spec.split():
            names += suites[t[1:]] if t.startswith("@") else [t]
        return names

    # the unmutated tree must pass its suites
    all_tests = sorted({t for m in muts for t in targets_of(m[5])})
    rc, out = run(["cmake", "--build", build, "--parallel", args.jobs, "--target"] + all_tests,
                  work)
    if rc:
        sys.exit("the unmutated tree does not build:\n" + out[-3000:])
    env_tests = "^(" + "|".join(all_tests) + ")$"
    rc, out = run(["ctest", "--test-dir", build, "-R", env_tests, "--parallel", args.jobs,
                   "--timeout", "120"], work)
    if rc:
        sys.exit("the unmutated tree fails its tests:\n" + out[-3000:])

    score = {}
    t0 = time.time()
    for n, area, file, text, repl, spec in muts:
        path = os.path.join(src, file)
        orig = open(path).read()
        if text not in orig:
            print("%-9s line %3d  MISSING  %s: text not found" % (area, n, file))
            score.setdefault(area, [0, 0, 0])[2] += 1
            continue
        open(path, "w").write(orig.replace(text, repl, 1))
        tests = targets_of(spec)
        try:
            rc, out = run(["cmake", "--build", build, "--parallel", args.jobs, "--target"] + tests,
                          work)
            if rc:
                verdict = "stillborn"
            else:
                rc, out = run(["ctest", "--test-dir", build, "-R", "^(" + "|".join(tests) + ")$",
                               "--parallel", args.jobs, "--timeout", "60"], work, timeout=900)
                verdict = "killed" if rc else "SURVIVED"
        finally:
            open(path, "w").write(orig)
            os.utime(path)
        s = score.setdefault(area, [0, 0, 0])
        if verdict == "stillborn":
            s[2] += 1
        else:
            s[1] += 1
            s[0] += verdict == "killed"
        failed = re.findall(r"\d+ - (\S+) \(", out) if verdict == "killed" else []
        print("%-9s line %3d  %-9s %s: %s%s" % (area, n, verdict, file,
                                            text.strip().replace("\n", " ")[:60],
                                            "  [" + " ".join(failed[:3]) + "]" if failed else ""),
              flush=True)
    # rebuild the unmutated tests, so the next run starts from a clean build
    run(["cmake", "--build", build, "--parallel", args.jobs, "--target"] + all_tests, work)

    killed = sum(s[0] for s in score.values())
    total = sum(s[1] for s in score.values())
    print("\narea       killed / run   score   (stillborn or missing)")
    for area, (k, t, sb) in score.items():
        print("%-10s %6d / %-4d %6.1f %%   (%d)" % (area, k, t, 100.0 * k / t if t else 0, sb))
    pct = 100.0 * killed / total if total else 0.0
    print("%-10s %6d / %-4d %6.1f %%   in %d s" % ("all", killed, total, pct, time.time() - t0))
    return 1 if pct < args.min else 0


if __name__ == "__main__":
    sys.exit(main())

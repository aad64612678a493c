#!/usr/bin/env python3
"""mutate_run.py VHDX WORKDIR COUNT SEED: reader/writer agreement over
structure-aware mutations (fixtures/gen_mutate.py) of four base images.

For each mutated file: if the reader refuses it (`vhdx cat` fails), `vhdx
write` must refuse it too and leave it byte-identical. If the reader accepts
it, `vhdx write` of a random range must either succeed -- then `vhdx check`
finds no error and `vhdx cat` shows the old content with the range replaced --
or fail with the file byte-identical. Prints one line per disagreement and a
summary; exits 1 on any disagreement. Deterministic for a seed.
"""
import hashlib
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "fixtures"))
import gen_mutate as M  # noqa: E402

vhdx, work, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
MiB = 1 << 20


def run(*args, data=False):
    p = subprocess.run([vhdx] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=20)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def must(*args):
    rc, out, err = run(*args)
    if rc != 0:
        sys.exit("setup failed: %s: %s" % (" ".join(map(str, args)), err))
    return out


def pattern(n, k):
    return random.Random(k).randbytes(n)


def errors(path):
    """The error lines `vhdx check` prints (damage a reader tolerates included)."""
    rc, out, _ = run("check", path)
    return rc, {l for l in out.decode(errors="replace").splitlines() if l.startswith("error:")}


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


os.makedirs(work, exist_ok=True)
src = os.path.join(work, "in.bin")
with open(src, "wb") as f:
    f.write(pattern(3 * MiB, 1))
bases = []
for name, args, writes in (
        ("dyn512", ("--size", "8M", "--block-size", "1M"), ((MiB, 3 * MiB),)),
        ("dyn4096", ("--size", "8M", "--block-size", "2M", "--logical-sector", "4096"),
         ((0, 2 * MiB),)),
        ("fixed", ("--size", "4M", "--fixed", "--block-size", "1M"), ((512 * 1024, MiB),)),
        ("child", None, ((3 * MiB + 4096, 8192),))):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name + ".vhdx")
    if args is None:
        parent = os.path.join(d, "parent.vhdx")
        must("create", parent, "--size", "8M", "--block-size", "1M")
        must("write", parent, 0, src)
        must("create", path, "--parent", parent, "--block-size", "1M")
    else:
        must("create", path, *args)
    for off, n in writes:
        part = os.path.join(work, "part.bin")
        with open(part, "wb") as f:
            f.write(pattern(n, 2))
        must("write", path, off, part)
    with open(path, "rb") as f:
        bases.append((name, path, f.read()))

rng = random.Random(seed)
stats = dict(accepted=0, written=0, write_refused=0, refused=0)
bad = 0
for n in range(count):
    name, path, base = bases[n % len(bases)]
    data, what = M.mutate(base, rng)
    with open(path, "wb") as f:
        f.write(data)
    before = sha(path)
    rc, disk, err = run("cat", path)
    accepted = rc == 0
    if not accepted and "parent chain" in err:
        # The layer may be fine and only its parent mismatched: writes never
        # read the parent, so the writer is free to accept it.
        stats["chain"] = stats.get("chain", 0) + 1
        continue
    lss = 4096  # a multiple of either sector size, so no write is refused for alignment
    size = len(disk) if accepted else 4 * MiB
    off = rng.randrange(0, max(1, size // lss)) * lss
    ln = min(rng.choice([lss, 8 * lss, 64 * 1024, MiB, 2 * MiB + lss]), size - off) // lss * lss
    if ln == 0:
        ln = lss
    buf = pattern(ln, n)
    wfile = os.path.join(work, "w.bin")
    with open(wfile, "wb") as f:
        f.write(buf)
    wrc, _, werr = run("write", path, off, wfile)
    after = sha(path)
    why = None
    if not accepted:
        stats["refused"] += 1
        if wrc == 0 or after != before:
            why = "reader refuses, writer %s (file %s)" % (
                "wrote" if wrc == 0 else "failed", "changed" if after != before else "unchanged")
    elif wrc != 0:
        stats["accepted"] += 1
        stats["write_refused"] += 1
        if after != before:
            why = "write failed and changed the file: " + werr.strip()
    else:
        stats["accepted"] += 1
        stats["written"] += 1
        _, errs_after = errors(path)
        errs_before = set()
        if errs_after:  # damage the reader tolerates may predate the write
            orig = os.path.join(os.path.dirname(path), "orig-" + os.path.basename(path))
            with open(orig, "wb") as f:
                f.write(data)
            _, errs = errors(orig)
            errs_before = {l.replace(orig, path) for l in errs}
        want = disk[:off] + buf + disk[off + ln:]
        rc2, now, err2 = run("cat", path)
        if not errs_after <= errs_before:
            why = "write added errors: " + "; ".join(sorted(errs_after - errs_before))[:300]
        elif rc2 != 0 or now != want:
            why = "content differs after write (cat rc %d) %s" % (rc2, err2.strip())
    if why:
        bad += 1
        keep = os.path.join(work, "bad%04d.vhdx" % n)
        with open(keep, "wb") as f:
            f.write(data)
        print("DISAGREE %s #%d [%s] write %d+%d: %s" % (name, n, what, off, ln, why))
print("mutations %d: accepted %d (written %d, write refused %d), refused %d, "
      "parent mismatch only %d, disagreements %d"
      % (count, stats["accepted"], stats["written"], stats["write_refused"], stats["refused"],
         stats.get("chain", 0), bad))
sys.exit(1 if bad else 0)

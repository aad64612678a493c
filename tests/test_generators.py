#!/usr/bin/env python3
"""Self-checks of the independent test-data generators.

  fixtures/gen_vhdx.py   against the spec's test vectors, qemu-img and libvhdi
  fixtures/gen_corrupt.py (corpus shape; every case judged by the built-in
                          reader)
  tests/hrl_gen.py       against the spec's section-13 example and an
                          independent replay written here from hrl-format.md

Run:  python3 tests/test_generators.py [-v]      (or tests/test_generators.sh)
External tools are optional; their tests are skipped when absent:
  qemu-img (Debian qemu-utils), libvhdi.so.1 (Debian libvhdi1 / libvhdi-utils).
"""

import ctypes
import ctypes.util
import gzip
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
sys.path.insert(0, HERE)
import gen_vhdx as G  # noqa: E402
import hrl_gen as H  # noqa: E402

PY = sys.executable
MiB = 1024 * 1024
QEMU_IMG = shutil.which("qemu-img")
_TMP = None
_FIX = None


def tmpdir():
    global _TMP
    if _TMP is None:
        _TMP = tempfile.mkdtemp(prefix="hvkit-gen-")
    return _TMP


def fixtures():
    """The standard fixture set, built once per run."""
    global _FIX
    if _FIX is None:
        d = os.path.join(tmpdir(), "fixtures")
        os.makedirs(d)
        res = G.build_fixtures(d)
        _FIX = (d, res)
    return _FIX


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(MiB)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


# ---------------------------------------------------------------------------
# libvhdi through ctypes (works with any Python; python3-libvhdi not needed)
# ---------------------------------------------------------------------------

class Libvhdi:
    def __init__(self):
        name = ctypes.util.find_library("vhdi") or "libvhdi.so.1"
        self.lib = ctypes.CDLL(name)
        L = self.lib
        L.libvhdi_file_read_buffer_at_offset.restype = ctypes.c_ssize_t
        L.libvhdi_file_read_buffer_at_offset.argtypes = [
            ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
            ctypes.c_int64, ctypes.c_void_p]

    def _ok(self, rc, what):
        if rc != 1:
            raise RuntimeError("libvhdi %s failed" % what)

    def sha256_chain(self, paths):
        """paths: [leaf, parent, ..., base]; returns the leaf's sha256."""
        L = self.lib
        files = []
        for p in paths:
            f = ctypes.c_void_p()
            e = ctypes.c_void_p()
            self._ok(L.libvhdi_file_initialize(ctypes.byref(f),
                                               ctypes.byref(e)), "init")
            self._ok(L.libvhdi_file_open(f, p.encode(), 1, ctypes.byref(e)),
                     "open " + p)
            files.append(f)
        for child, parent in zip(files, files[1:]):
            e = ctypes.c_void_p()
            self._ok(L.libvhdi_file_set_parent_file(child, parent,
                                                    ctypes.byref(e)),
                     "set_parent")
        size = ctypes.c_uint64()
        e = ctypes.c_void_p()
        self._ok(L.libvhdi_file_get_media_size(files[0], ctypes.byref(size),
                                               ctypes.byref(e)), "size")
        h = hashlib.sha256()
        buf = ctypes.create_string_buffer(MiB)
        off = 0
        while off < size.value:
            n = min(MiB, size.value - off)
            r = L.libvhdi_file_read_buffer_at_offset(files[0], buf, n, off,
                                                     None)
            if r != n:
                raise RuntimeError("libvhdi short read at %d" % off)
            h.update(buf.raw[:n])
            off += n
        for f in files:
            L.libvhdi_file_close(f, None)
            L.libvhdi_file_free(ctypes.byref(f), None)
        return h.hexdigest()


try:
    LIBVHDI = Libvhdi()
except OSError:
    LIBVHDI = None


# ---------------------------------------------------------------------------
# VHDX spec test vectors (vhdx-format.md section 13)
# ---------------------------------------------------------------------------

class VhdxVectors(unittest.TestCase):
    def test_crc32c_check_values(self):
        self.assertEqual(G.crc32c(b"123456789"), 0xE3069283)
        self.assertEqual(G.crc32c(bytes(4096)), 0x98F94189)
        self.assertEqual(G.crc32c(bytes(65536)), 0x72C0C4A4)
        # the zero-run shortcut must agree with the plain loop
        data = b"abc" + bytes(70000)
        c = G._crc_raw(0xFFFFFFFF, data) ^ 0xFFFFFFFF
        self.assertEqual(G.crc32c(data), c)

    def test_guid_layout(self):
        self.assertEqual(G.guid_bytes("2DC27766-F623-4200-9D64-115E9BFD4A08"),
                         bytes.fromhex("6677C22D23F600429D64115E9BFD4A08"))

    def test_header_vector(self):
        h = G.build_header(1, G.guid_bytes(
            "01234567-89AB-CDEF-0123-456789ABCDEF"), G.guid_bytes(
            "FEDCBA98-7654-3210-FEDC-BA9876543210"), G.ZERO_GUID, MiB, MiB)
        self.assertEqual(struct.unpack_from("<I", h, 4)[0], 0x146435B7)
        want = ("68656164 b7356414 0100000000000000 "
                "67452301ab89efcd0123456789abcdef "
                "98badcfe54761032fedcba9876543210 " + "00" * 16 +
                " 0000 0100 00001000 0000100000000000")
        self.assertEqual(h[:80].hex(), want.replace(" ", ""))

    def test_region_table_vector(self):
        r = G.build_region_table([(G.GUID_BAT, 3 * MiB, MiB, 1),
                                  (G.GUID_METADATA, 2 * MiB, MiB, 1)])
        self.assertEqual(struct.unpack_from("<I", r, 4)[0], 0xC66B8CAE)
        want = ("72656769 ae8c6bc6 02000000 00000000 "
                "6677c22d23f600429d64115e9bfd4a08 0000300000000000 00001000 "
                "01000000 06a27c8b90479a4bb8fe575f050f886e 0000200000000000 "
                "00001000 01000000")
        self.assertEqual(r[:80].hex(), want.replace(" ", ""))

    def test_empty_log_entry_vector(self):
        e = G.build_log_entry(1, 0, G.guid_bytes(
            "ABCDEF01-2345-6789-ABCD-EF0123456789"), 4 * MiB, 4 * MiB, [])
        self.assertEqual(len(e), 4096)
        self.assertEqual(struct.unpack_from("<I", e, 4)[0], 0xEC2BA26B)

    def test_bat_counts(self):
        GiB, TiB = G.GiB, G.TiB
        rows = [(127 * GiB, 32 * MiB, 512, False, 128, 4064, 4095),
                (127 * GiB, 32 * MiB, 512, True, 128, 4064, 4128),
                (4 * GiB, 32 * MiB, 512, False, 128, 128, 128),
                (4 * GiB + MiB, 32 * MiB, 512, False, 128, 129, 130),
                (64 * TiB, MiB, 512, False, 4096, 67108864, 67125247),
                (64 * TiB, MiB, 4096, True, 32768, 67108864, 67110912)]
        for size, bs, lss, diff, cr, nb, total in rows:
            g = G.Geometry(size, bs, lss, diff)
            self.assertEqual((g.chunk_ratio, g.nblocks, g.total_entries),
                             (cr, nb, total))
        g = G.Geometry(4 * GiB + MiB, 32 * MiB, 512, False)
        self.assertEqual(g.pidx(128), 129)
        self.assertEqual(g.sidx(0), 128)


# ---------------------------------------------------------------------------
# gen_vhdx.py fixtures
# ---------------------------------------------------------------------------

def qemu_raw_sha(img, work):
    raw = os.path.join(work, "q.raw")
    subprocess.run([QEMU_IMG, "convert", "-f", "vhdx", "-O", "raw", img,
                    raw], check=True, capture_output=True)
    s = sha256_file(raw)
    os.unlink(raw)
    return s


def base_images(res):
    return [n for n, i in res.items() if i["type"] != "diff"]


class VhdxFixtures(unittest.TestCase):
    def test_sidecars_match_fresh_read(self):
        d, res = fixtures()
        for name, info in res.items():
            with open(os.path.join(d, name + ".json")) as f:
                side = json.load(f)
            with open(os.path.join(d, name + ".sha256")) as f:
                self.assertEqual(f.read().strip(), side["sha256"])
            rd = G.VhdxFile(os.path.join(d, name))
            self.assertEqual(rd.to_sparse().sha256(), side["sha256"], name)
            self.assertEqual(rd.size, side["virtual_size"])

    def test_coverage_of_states(self):
        d, res = fixtures()
        seen = {"base": set(), "diff": set()}
        for name, info in res.items():
            k = "diff" if info["type"] == "diff" else "base"
            seen[k] |= {b["state"] for b in info["blocks"]}
        self.assertTrue({"NOT_PRESENT", "FULLY_PRESENT", "ZERO", "UNMAPPED",
                         "UNDEFINED"} <= seen["base"])
        self.assertTrue({"NOT_PRESENT", "FULLY_PRESENT", "ZERO", "UNMAPPED",
                         "UNDEFINED", "PARTIALLY_PRESENT"} <= seen["diff"])

    def test_chain_layout(self):
        d, res = fixtures()
        for lss in (512, 4096):
            gc = res["chain%d/layers/grand/gc.vhdx" % lss]
            layers = gc["layers"]
            self.assertEqual(len(layers), 3)
            self.assertEqual(len({x["block_size"] for x in layers}), 3)
            for child, parent in zip(layers, layers[1:]):
                self.assertIn("..", child["relative_path"])
                self.assertNotIn("/", child["relative_path"])
                self.assertEqual(child["parent_linkage"],
                                 "{%s}" % parent["data_write_guid"].lower())
            rd = G.VhdxFile(os.path.join(d, "chain%d/layers/grand/gc.vhdx"
                                         % lss))
            self.assertEqual({x.lss for x in rd.chain()}, {lss})
            # the non-current header carries other GUIDs: a reader that
            # picks the wrong header breaks the chain
            for x in rd.chain():
                other = G.HEADER1_OFF if x.header_offset == G.HEADER2_OFF \
                    else G.HEADER2_OFF
                self.assertNotEqual(x.raw[other + 32:other + 48],
                                    x.data_write_guid)

    def test_dirty_pre_replay_differs(self):
        d, res = fixtures()
        for name, info in res.items():
            if info.get("log"):
                self.assertNotEqual(info["sha256"], info["sha256_pre_replay"])
                self.assertNotEqual(G.VhdxFile(os.path.join(d, name))
                                    .log_guid, G.ZERO_GUID)
        self.assertTrue(res["dirty_dynamic.vhdx"]["log"]["zero_descriptor"]
                        ["purpose"].startswith("BAT sector"))
        self.assertEqual(res["dirty_dynamic.vhdx"]["log"]["wrapping_entry"],
                         [3])

    def test_cli_raw_out_and_determinism(self):
        w = os.path.join(tmpdir(), "cli")
        os.makedirs(w, exist_ok=True)
        outs = []
        for k in range(2):
            img = os.path.join(w, "a%d.vhdx" % k)
            raw = os.path.join(w, "a%d.raw" % k)
            r = subprocess.run([PY, os.path.join(ROOT, "fixtures",
                                                 "gen_vhdx.py"), img,
                                "--size", "3M+1536", "--type", "dynamic",
                                "--seed", "99", "--writes",
                                "random:5,1048000:2000", "--states",
                                "auto", "--raw-out", raw],
                               check=True, capture_output=True, text=True)
            self.assertEqual(r.stdout.strip(), sha256_file(raw))
            self.assertEqual(os.path.getsize(raw), 3 * MiB + 1536)
            outs.append(sha256_file(img))
        self.assertEqual(outs[0], outs[1])

    def test_scenario_file(self):
        w = os.path.join(tmpdir(), "scen")
        os.makedirs(w, exist_ok=True)
        sc = os.path.join(w, "s.json")
        with open(sc, "w") as f:
            json.dump({"images": [
                {"name": "p/base.vhdx", "type": "dynamic", "size": "4M",
                 "seed": 1, "writes": "random:4"},
                {"name": "q/child.vhdx", "type": "diff",
                 "parent": "p/base.vhdx", "block-size": "2M", "seed": 2,
                 "writes": "random:4", "states": "auto"}]}, f)
        subprocess.run([PY, os.path.join(ROOT, "fixtures", "gen_vhdx.py"),
                        "--scenario", sc, "--out-dir", w], check=True)
        with open(os.path.join(w, "q/child.vhdx.json")) as f:
            j = json.load(f)
        self.assertEqual(j["layers"][0]["relative_path"],
                         "..\\p\\base.vhdx")

    @unittest.skipUnless(QEMU_IMG, "qemu-img not installed")
    def test_qemu_reads_base_images(self):
        """qemu 7.2 reads fixed/dynamic 512-byte-sector images exactly as
        the oracle says (it refuses 4096-byte logical sectors: ENOTSUP, and
        differencing files: spec 14.1)."""
        d, res = fixtures()
        w = tmpdir()
        n = 0
        for name in base_images(res):
            info = res[name]
            if info.get("log") or info["logical_sector_size"] != 512:
                continue
            img = os.path.join(d, name)
            self.assertEqual(qemu_raw_sha(img, w), info["sha256"], name)
            r = subprocess.run([QEMU_IMG, "check", "-f", "vhdx", img],
                               capture_output=True)
            self.assertEqual(r.returncode, 0, name)
            n += 1
        self.assertGreaterEqual(n, 4)

    @unittest.skipUnless(QEMU_IMG, "qemu-img not installed")
    def test_qemu_replays_dirty_logs(self):
        """qemu-img check -r all replays the pending log on a copy.  For the
        'simple' and 'wrap' layouts the result is the oracle's post-replay
        content.  For 'split' (the head entry sits at a lower ring offset
        than the tail and forms a run of its own) qemu 7.2 picks the head
        alone - the deviation documented in vhdx-format.md 14.1 - and keeps
        the stale BAT, i.e. the pre-replay content."""
        d, res = fixtures()
        w = tmpdir()
        for name in ("dirty_small.vhdx", "dirty_dynamic.vhdx",
                     "dirty_split.vhdx"):
            info = res[name]
            cp = os.path.join(w, "replay_" + name)
            subprocess.run(["cp", "--sparse=always", os.path.join(d, name),
                            cp], check=True)
            r = subprocess.run([QEMU_IMG, "info", "-f", "vhdx", cp],
                               capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("replay", r.stderr)
            subprocess.run([QEMU_IMG, "check", "-r", "all", "-f", "vhdx",
                            cp], check=True, capture_output=True)
            got = qemu_raw_sha(cp, w)
            layout = info["log"]["layout"]
            if layout == "split":
                self.assertEqual(got, info["sha256_pre_replay"], name)
            else:
                self.assertEqual(got, info["sha256"], name)
            os.unlink(cp)

    @unittest.skipUnless(LIBVHDI, "libvhdi.so.1 not installed")
    def test_libvhdi_reads_base_images(self):
        """libvhdi 20210425 ignores the log, so it must see the pre-replay
        content of dirty images; fixed images are < 1 chunk (its
        interleaving bug does not apply)."""
        d, res = fixtures()
        for name in base_images(res):
            info = res[name]
            want = info.get("sha256_pre_replay") or info["sha256"]
            self.assertEqual(LIBVHDI.sha256_chain([os.path.join(d, name)]),
                             want, name)

    @unittest.skipUnless(LIBVHDI, "libvhdi.so.1 not installed")
    def test_libvhdi_reads_chains(self):
        """Differencing chains through libvhdi.  libvhdi reads ZERO,
        UNMAPPED and UNDEFINED child blocks from the parent (spec 14.2), so
        it is compared with the oracle's libvhdi-quirk model, and that model
        must differ from the real expected content (the fixtures put ZERO
        over parent data)."""
        d, res = fixtures()
        for name, info in res.items():
            if info["type"] != "diff":
                continue
            path = os.path.join(d, name)
            chain = [os.path.normpath(os.path.join(os.path.dirname(path),
                                                   x["path"]))
                     for x in info["layers"]]
            quirk = G.VhdxFile(path, replay=False,
                               libvhdi_quirks=True).to_sparse()
            got = LIBVHDI.sha256_chain(chain)
            self.assertEqual(got, quirk.sha256(), name)
            self.assertNotEqual(quirk.sha256(), info["sha256"], name)
            # and the quirk model differs only inside ZERO/UNMAPPED/UNDEFINED
            # blocks of some child layer (compared without log replay)
            true = G.VhdxFile(path, replay=False).to_sparse()
            rd = G.VhdxFile(path, replay=False)
            odd = []
            for layer in rd.chain()[:-1]:
                for b in range(layer.geo.nblocks):
                    if layer.bat[layer.geo.pidx(b)] & 7 in (1, 2, 3):
                        odd.append((b * layer.block_size,
                                    (b + 1) * layer.block_size))
            off = 0
            while off < true.size:
                n = min(4096, true.size - off)
                if true.read(off, n) != quirk.read(off, n):
                    self.assertTrue(any(lo <= off < hi for lo, hi in odd),
                                    "%s: unexpected difference at %d"
                                    % (name, off))
                off += 4096


@unittest.skipUnless(os.environ.get("HVKIT_SLOW_TESTS"),
                     "set HVKIT_SLOW_TESTS=1 for the 4 GiB multi-chunk test")
class VhdxMultiChunk(unittest.TestCase):
    """More than one chunk: SB entries interleaved in the BAT, sector
    bitmaps for chunks 0 and 1, writes across the chunk boundary."""

    def test_multichunk(self):
        d = os.path.join(tmpdir(), "big")
        res = G.build_scenario(G.big_specs(), d)
        base = res["multichunk/base.vhdx"]
        child = res["multichunk/child.vhdx"]
        self.assertEqual(base["bat_entries"], 4103)
        self.assertEqual(child["bat_entries"], 2 * 4097)
        self.assertEqual([x["chunk"] for x in child["sector_bitmaps"]],
                         [0, 1])
        if QEMU_IMG:
            self.assertEqual(qemu_raw_sha(os.path.join(
                d, "multichunk/base.vhdx"), tmpdir()), base["sha256"])
        if LIBVHDI:
            self.assertEqual(LIBVHDI.sha256_chain(
                [os.path.join(d, "multichunk/child.vhdx"),
                 os.path.join(d, "multichunk/base.vhdx")]), child["sha256"])


# ---------------------------------------------------------------------------
# gen_corrupt.py
# ---------------------------------------------------------------------------

class CorruptCorpus(unittest.TestCase):
    def test_corpus(self):
        out = os.path.join(tmpdir(), "corrupt")
        r = subprocess.run([PY, os.path.join(ROOT, "fixtures",
                                             "gen_corrupt.py"), out],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "cases.tsv")) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0].split("\t"), [
            "name", "file", "structure", "offset", "description",
            "expected_check_exit", "expected_other_exit"])
        rows = [x.split("\t") for x in lines[1:]]
        self.assertGreaterEqual(len(rows), 30)
        names = set()
        structs = set()
        for name, fn, st, off, desc, ce, oe in rows:
            self.assertNotIn(name, names)
            names.add(name)
            structs.add(st)
            self.assertTrue(os.path.exists(os.path.join(out, fn)))
            self.assertIn(st, ("file identifier", "header", "region table",
                               "metadata table", "metadata item",
                               "parent locator", "BAT", "sector bitmap",
                               "log", "log entry", "parent chain"))
            self.assertGreaterEqual(int(off), 0)
            self.assertEqual(ce, "1")
            self.assertIn(oe, ("0", "2"))
            self.assertTrue(desc)
        self.assertEqual(len(structs), 11)
        tolerated = {r[0] for r in rows if r[6] == "0"}
        self.assertEqual(tolerated, {"header1_bad_crc", "header2_bad_crc",
                                     "region_table1_bad_crc",
                                     "region_table2_bad_crc"})


# ---------------------------------------------------------------------------
# hrl_gen.py
# ---------------------------------------------------------------------------

def hrl_sum(buf, skip=None):
    """~(32-bit byte sum), skipping the 4-byte field at `skip`."""
    s = sum(buf)
    if skip is not None:
        s -= sum(buf[skip:skip + 4])
    return (~s) & 0xFFFFFFFF


def hrl_replay(data, disk):
    """Independent HRL reader (hrl-format.md sections 5, 6, 8, 9): validate
    and apply one log to `disk` (a bytearray or H.Disk).  Returns the
    number of entries applied."""
    hdr = data[:4096]
    assert hdr[:7] == b"msctlog", "cookie"
    assert struct.unpack_from("<I", hdr, 8)[0] >> 16 in (1, 2)
    assert struct.unpack_from("<I", hdr, 40)[0] == hrl_sum(hdr, 40)
    eol = struct.unpack_from("<Q", hdr, 44)[0]
    ms = struct.unpack_from("<I", hdr, 56)[0]
    assert eol != 0, "not closed"
    assert 4096 + ms <= eol <= len(data)
    stack = []
    cur = eol - ms
    while True:
        assert 4096 <= cur and cur + ms <= eol
        stack.append(cur)
        prev = struct.unpack_from("<Q", data, cur)[0]
        if prev == 0:
            break
        assert prev <= cur - 4096
        cur -= prev
    n_applied = 0
    data_start = 4096
    for blk in reversed(stack):
        mh = data[blk:blk + 32]
        assert struct.unpack_from("<I", mh, 12)[0] == hrl_sum(mh, 12)
        assert mh[16:32] == bytes(16)
        n = struct.unpack_from("<I", mh, 8)[0]
        assert n <= (ms - 32) // 32
        pos = data_start
        for i in range(n):
            e = data[blk + 32 + 32 * i:blk + 64 + 32 * i]
            assert struct.unpack_from("<I", e, 8)[0] == hrl_sum(e, 8)
            off, _, ln, _ts, op, dck, loc = struct.unpack_from("<QIIIBIB",
                                                               e, 0)
            assert op == 1 and loc == 0 and e[26:32] == bytes(6)
            payload = data[pos:pos + ln]
            if dck:
                assert dck == hrl_sum(payload)
            disk.write(off, payload)
            pos += ln
            n_applied += 1
        assert pos == blk, "payloads must exactly fill the gap"
        data_start = blk + ms
    assert struct.unpack_from("<Q", hdr, 96)[0] == n_applied
    return n_applied


def load_log(path):
    with open(path, "rb") as f:
        b = f.read()
    return gzip.decompress(b) if path.endswith(".gz") else b


class HrlGenerator(unittest.TestCase):
    def test_spec_example(self):
        out = os.path.join(tmpdir(), "hrl_example")
        subprocess.run([PY, os.path.join(HERE, "hrl_gen.py"), "--out-dir",
                        out, "--spec-example"], check=True,
                       capture_output=True)
        with open(os.path.join(out, "manifest.json")) as f:
            m = json.load(f)
        data = load_log(os.path.join(out, "spec_example.hrl"))
        self.assertEqual(len(data), 332288)
        # metadata block #1 and #2 checksums from the spec
        self.assertEqual(data[4096:4096 + 32].hex(),
                         "0000000000000000" "00000000" "ffffffff" + "00" * 16)
        self.assertEqual(struct.unpack_from("<I", data, 4096 + 12)[0],
                         0xFFFFFFFF)
        b2 = 328192
        self.assertEqual(data[b2:b2 + 16].hex(),
                         "00f2040000000000" "3a000000" "cffeffff")
        self.assertEqual(struct.unpack_from("<I", data, b2 + 12)[0],
                         0xFFFFFECF)
        # all 58 entry checksums as printed in the spec
        for i, (n, o, ts, ck) in enumerate(H.SPEC_EXAMPLE_ENTRIES):
            e = data[b2 + 32 + 32 * i:b2 + 64 + 32 * i]
            self.assertEqual(struct.unpack_from("<Q", e, 0)[0], o)
            self.assertEqual(struct.unpack_from("<I", e, 12)[0], n)
            self.assertEqual(struct.unpack_from("<I", e, 8)[0], ck,
                             "entry %d" % (i + 1))
        self.assertEqual(data[b2 + 32 + 32 * 58:b2 + 4096],
                         bytes(4096 - 32 - 32 * 58))
        # the two worked entries (hrl-format.md 13.3)
        self.assertEqual(data[b2 + 32:b2 + 64].hex(),
                         "00b025d800000000" "50fdffff" "00100000" "4d572d20"
                         "01" "00000000" "00" + "00" * 6)
        self.assertEqual(data[b2 + 32 + 32 * 22:b2 + 64 + 32 * 22].hex(),
                         "0000100800000000" "f0feffff" "00040000" "4e572d20"
                         "01" "00000000" "00" + "00" * 6)
        # header: the illustrative dump, except the checksum (the spec's
        # printed one does not reproduce); ours is ~8152
        want = bytes.fromhex(
            "6d 73 63 74 6c 6f 67 00 00 00 02 00 4c 57 2d 20"
            "63 74 00 00 00 00 0a 00 00 00 00 00 00 00 00 00"
            "00 12 05 00 00 00 00 00 7b e2 ff ff 00 12 05 00"
            "00 00 00 00 00 00 00 00 00 10 00 00 ff c7 2f 57"
            "03 1f ab 49 b3 c5 30 a6 65 b8 e2 0c 46 4b ae a8"
            "ad f7 02 44 87 aa 5b 33 e9 f8 9c 77 50 57 2d 20"
            "3a 00 00 00 00 00 00 00 00 00 00 00 00 00 57 5c"
            "be b9 be f8 03 55 98 bb 6c 44 fa f9 ac 87".replace(" ", ""))
        hdr = bytearray(data[:126])
        self.assertEqual(struct.unpack_from("<I", hdr, 40)[0],
                         (~8152) & 0xFFFFFFFF)
        hdr[40:44] = want[40:44]
        self.assertEqual(bytes(hdr), want)
        self.assertEqual(data[126:4096], bytes(4096 - 126))
        # replay through the independent reader gives the manifest digest
        disk = H.Disk(m["virtual_size"])
        self.assertEqual(hrl_replay(data, disk), 58)
        self.assertEqual(disk.digests(False)[1],
                         m["points"][1]["tree_digest"])

    def _chain(self, extra, base_disk=None):
        out = tempfile.mkdtemp(dir=tmpdir(), prefix="hrl")
        subprocess.run([PY, os.path.join(HERE, "hrl_gen.py"), "--out-dir",
                        out] + extra, check=True, capture_output=True)
        with open(os.path.join(out, "manifest.json")) as f:
            m = json.load(f)
        disk = base_disk or H.Disk(m["virtual_size"])
        self.assertEqual(disk.digests()[0] if m["points"][0]["sha256"]
                         else None, m["points"][0]["sha256"])
        prev = None
        for k, log in enumerate(m["logs"], 1):
            data = load_log(os.path.join(out, log["file"]))
            hdr = data[:4096]
            uid = hdr[60:76]
            if prev is not None:
                self.assertEqual(hdr[76:92], prev)
            prev = uid
            self.assertEqual(H.guid_text(hdr[110:126]),
                             m["vhd2_data_write_guid"])
            hrl_replay(data, disk)
            sha, tree = disk.digests()
            self.assertEqual(tree, m["points"][k]["tree_digest"])
            if m["points"][k]["sha256"]:
                self.assertEqual(sha, m["points"][k]["sha256"])
        return m

    def test_chain_zero_base(self):
        m = self._chain(["--size", "24M", "--logs", "3", "--writes-per-log",
                         "160", "--seed", "5", "--vhd2-guid",
                         "{0fba7a3c-1111-4222-8333-444455556666}"])
        self.assertEqual(m["vhd2_data_write_guid"],
                         "{0fba7a3c-1111-4222-8333-444455556666}")
        first = m["logs"][0]["metadata_blocks"]
        self.assertEqual(first[0]["entries"], 0)          # empty first block
        self.assertEqual(first[1]["entries"], 127)        # a full block
        lens = [e["length"] for log in m["logs"] for e in log["entry_list"]]
        self.assertTrue(all(512 <= x <= MiB and x % 512 == 0 for x in lens))

    def test_chain_gzip_8k_mixed(self):
        m = self._chain(["--size", "9M+512", "--logs", "2",
                         "--writes-per-log", "300", "--seed", "6", "--gzip",
                         "--metadata-size", "8192", "--data-checksum",
                         "mixed", "--no-empty-first-block", "--slack",
                         "5000"])
        self.assertEqual(m["logs"][0]["metadata_blocks"][0]["entries"], 255)
        self.assertTrue(m["logs"][0]["file"].endswith(".hrl.gz"))

    def test_chain_on_vhdx_raw(self):
        d, res = fixtures()
        info = res["dynamic512.vhdx"]
        raw = os.path.join(tmpdir(), "dyn512.raw")
        G.VhdxFile(os.path.join(d, "dynamic512.vhdx")).to_sparse() \
            .write_raw(raw)
        base = H.Disk.from_raw(raw)
        self.assertEqual(base.digests()[0], info["sha256"])
        m = self._chain(["--base-raw", raw, "--logs", "2",
                         "--writes-per-log", "40", "--vhd2-guid",
                         info["data_write_guid"]], base_disk=base)
        self.assertEqual(m["points"][0]["sha256"], info["sha256"])


def tearDownModule():
    if _TMP and not os.environ.get("KEEP_TMP"):
        shutil.rmtree(_TMP, ignore_errors=True)


if __name__ == "__main__":
    prog = unittest.main(exit=False, verbosity=2 if "-v" in sys.argv else 1)
    r = prog.result
    failed = len(r.failures) + len(r.errors) + len(r.unexpectedSuccesses)
    print("%d passed, %d failed, %d skipped"
          % (r.testsRun - failed - len(r.skipped), failed, len(r.skipped)))
    sys.exit(1 if failed else 0)

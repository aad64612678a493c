#!/usr/bin/env python3
"""hrl_gen.py - independent Hyper-V Replica log (.hrl) generator.

Written only from [MS-HRL] and docs/hrl-format.md (Python 3 standard library; no
code shared with the C library).  It writes chains of .hrl files with random
writes and a JSON manifest giving, for every point k (the base disk after logs
1..k are applied in order), the expected SHA-256 of the whole virtual disk and
the expected "tree digest" (SHA-256 over the concatenated binary SHA-256
digests of each successive 1 MiB piece; the last piece may be shorter).

  hrl_gen.py --out-dir D --size 64M --logs 3 --writes-per-log 200 --seed 7
  hrl_gen.py --out-dir D --base-raw base.raw --vhd2-guid {...} --gzip
  hrl_gen.py --out-dir D --spec-example      # the spec section 13 layout

Byte order is little-endian and GUIDs use the Windows GUID layout (the spec's
stated assumptions, hrl-format.md section 3).
"""

import argparse
import gzip
import hashlib
import json
import os
import random
import struct
import sys
import uuid

KiB = 1024
MiB = 1024 * 1024
GiB = 1024 * MiB
HEADER_SIZE = 4096
EPOCH_2000 = 946684800          # unix time of 2000-01-01 00:00:00 UTC
VERSION_2 = 0x00020000
COOKIE = b"msctlog\0"
CREATOR_APP = b"ct\0\0"
CREATOR_VERSION = 0x000A0000
# 2024-01-01 00:00:00 UTC in the 2000 epoch: default start of timestamps
DEFAULT_TIME = 1704067200 - EPOCH_2000

# spec section 13.3: (DataLength, ByteOffset, TimeStamp, printed Checksum) of
# the 58 entries of metadata block #2, in slot order
SPEC_EXAMPLE_ENTRIES = [
    (4096, 3626348544, 539842381, 0xFFFFFD50),
    (4096, 8026886144, 539842381, 0xFFFFFD1E),
    (4096, 3699798016, 539842381, 0xFFFFFD2B),
    (4096, 3700805632, 539842381, 0xFFFFFCBC),
    (4096, 4111884288, 539842381, 0xFFFFFD92),
    (2048, 139466752, 539842381, 0xFFFFFE95),
    (2048, 147937280, 539842381, 0xFFFFFDD4),
    (4096, 7792644096, 539842381, 0xFFFFFD62),
    (4096, 3699830784, 539842381, 0xFFFFFCAB),
    (4096, 3709980672, 539842381, 0xFFFFFD2F),
    (4096, 3722543104, 539842381, 0xFFFFFCBF),
    (4096, 3626344448, 539842381, 0xFFFFFD60),
    (4096, 7792652288, 539842381, 0xFFFFFD42),
    (4096, 3699900416, 539842381, 0xFFFFFD99),
    (4096, 3734429696, 539842381, 0xFFFFFCA9),
    (12288, 3699957760, 539842381, 0xFFFFFC99),
    (4096, 3737313280, 539842381, 0xFFFFFC7D),
    (4096, 3743948800, 539842381, 0xFFFFFDD6),
    (512, 138656768, 539842381, 0xFFFFFE04),
    (512, 139058688, 539842381, 0xFFFFFDDC),
    (8192, 3757490176, 539842381, 0xFFFFFC58),
    (4096, 3760070656, 539842381, 0xFFFFFDDF),
    (1024, 135266304, 539842382, 0xFFFFFEF0),
    (8192, 3771551744, 539842382, 0xFFFFFCEF),
    (4096, 3771564032, 539842382, 0xFFFFFCCF),
    (512, 138656768, 539842382, 0xFFFFFE03),
    (512, 139058688, 539842382, 0xFFFFFDDB),
    (16384, 3774267392, 539842382, 0xFFFFFC36),
    (4096, 3774308352, 539842382, 0xFFFFFCC5),
    (4096, 3774361600, 539842382, 0xFFFFFCF4),
    (8192, 3626414080, 539842382, 0xFFFFFD3E),
    (4096, 3777036288, 539842382, 0xFFFFFDFA),
    (8192, 3792945152, 539842382, 0xFFFFFD37),
    (4096, 3626352640, 539842382, 0xFFFFFD3F),
    (8192, 3793145856, 539842382, 0xFFFFFD24),
    (4096, 3793178624, 539842382, 0xFFFFFDB3),
    (512, 3676929536, 539842382, 0xFFFFFD88),
    (4096, 3793252352, 539842382, 0xFFFFFD92),
    (4096, 3794485248, 539842382, 0xFFFFFDAF),
    (31232, 3673733120, 539842382, 0xFFFFFC08),
    (4096, 3626418176, 539842382, 0xFFFFFD3E),
    (31232, 3673764352, 539842382, 0xFFFFFC8D),
    (4096, 3626352640, 539842382, 0xFFFFFD3F),
    (4096, 3626418176, 539842382, 0xFFFFFD3E),
    (4096, 3694907392, 539842382, 0xFFFFFD15),
    (8192, 3700453376, 539842382, 0xFFFFFD10),
    (4096, 3626352640, 539842382, 0xFFFFFD3F),
    (4096, 3704586240, 539842382, 0xFFFFFCD1),
    (8192, 3737305088, 539842382, 0xFFFFFC8C),
    (4096, 3793489920, 539842382, 0xFFFFFDEE),
    (4096, 10188185600, 539842382, 0xFFFFFDF8),
    (4096, 3628867584, 539842382, 0xFFFFFDB8),
    (4096, 3626414080, 539842382, 0xFFFFFD4E),
    (4096, 3626340352, 539842382, 0xFFFFFD6F),
    (4096, 3628871680, 539842382, 0xFFFFFDA8),
    (8192, 3626348544, 539842382, 0xFFFFFD3F),
    (4096, 3626344448, 539842382, 0xFFFFFD5F),
    (4096, 3626340352, 539842382, 0xFFFFFD6F),
]
SPEC_EXAMPLE_HEADER = dict(
    timestamp=539842380, current_size=332288, eol=332288,
    printed_checksum=0xFFFFE27B, metadata_size=4096,
    unique_id="{572fc7ff-1f03-49ab-b3c5-30a665b8e20c}",
    previous_unique_id="{a8ae4b46-f7ad-4402-87aa-5b33e9f89c77}",
    last_modified=539842384, total_entries=58,
    vhd2_data_write_guid="{b9be5c57-f8be-5503-98bb-6c44faf9ac87}")


# --------------------------------------------------------------------------
# primitives (spec sections 5, 6, 8)
# --------------------------------------------------------------------------

def byte_sum_checksum(buf, skip_off=None, skip_len=4):
    """One's complement of the 32-bit sum of all bytes, skipping the 4-byte
    checksum field (spec section 8)."""
    s = sum(buf)
    if skip_off is not None:
        s -= sum(buf[skip_off:skip_off + skip_len])
    return (~s) & 0xFFFFFFFF


def guid_bytes(text):
    return uuid.UUID(text.strip().strip("{}")).bytes_le


def guid_text(b):
    return "{%s}" % uuid.UUID(bytes_le=bytes(b))


def rand_guid(rng):
    return uuid.UUID(bytes=rng.randbytes(16), version=4).bytes_le


def build_header(timestamp, original_size, current_size, eol, metadata_size,
                 unique_id, previous_unique_id, last_modified, total_entries,
                 vhd2_guid, version=VERSION_2, file_type=0, error_code=0):
    h = bytearray(HEADER_SIZE)
    h[0:8] = COOKIE
    struct.pack_into("<II4sIQQ", h, 8, version, timestamp, CREATOR_APP,
                     CREATOR_VERSION, original_size, current_size)
    struct.pack_into("<QiI16s16sIQI", h, 44, eol, error_code, metadata_size,
                     unique_id, previous_unique_id, last_modified,
                     total_entries, file_type)
    # Flags (108, 2 bytes) = 0; Vhd2DataWriteGuid at 110; Reserved zero
    h[110:126] = vhd2_guid
    struct.pack_into("<I", h, 40, byte_sum_checksum(h, 40))
    return bytes(h)


def build_entry(byte_offset, data_length, timestamp, data_checksum):
    e = bytearray(32)
    struct.pack_into("<QIIIBIB", e, 0, byte_offset, 0, data_length,
                     timestamp, 1, data_checksum, 0)
    struct.pack_into("<I", e, 8, byte_sum_checksum(e, 8))
    return bytes(e)


def build_metadata_block(metadata_size, prev_distance, entries):
    cap = (metadata_size - 32) // 32
    assert len(entries) <= cap
    blk = bytearray(metadata_size)
    struct.pack_into("<QII", blk, 0, prev_distance, len(entries), 0)
    struct.pack_into("<I", blk, 12, byte_sum_checksum(blk[0:32], 12))
    for i, e in enumerate(entries):
        blk[32 + 32 * i:64 + 32 * i] = e
    return bytes(blk)


# --------------------------------------------------------------------------
# disk model (1 MiB pages, absent = zero)
# --------------------------------------------------------------------------

_ZERO = bytes(MiB)
_ZERO_DIGEST = hashlib.sha256(_ZERO).digest()


class Disk:
    def __init__(self, size):
        self.size = size
        self.pages = {}

    @classmethod
    def from_raw(cls, path):
        d = cls(os.path.getsize(path))
        with open(path, "rb") as f:
            p = 0
            while True:
                chunk = f.read(MiB)
                if not chunk:
                    break
                if chunk != _ZERO[:len(chunk)]:
                    d.pages[p] = bytearray(chunk) + bytes(MiB - len(chunk))
                p += 1
        return d

    def write(self, off, data):
        assert 0 <= off and off + len(data) <= self.size
        pos = 0
        while pos < len(data):
            p, o = divmod(off + pos, MiB)
            n = min(MiB - o, len(data) - pos)
            pg = self.pages.get(p)
            if pg is None:
                pg = self.pages[p] = bytearray(MiB)
            pg[o:o + n] = data[pos:pos + n]
            pos += n

    def digests(self, full=True):
        """(sha256 hex or None, tree digest hex)"""
        h = hashlib.sha256() if full else None
        t = hashlib.sha256()
        off = 0
        while off < self.size:
            n = min(MiB, self.size - off)
            pg = self.pages.get(off // MiB)
            if pg is None:
                piece = _ZERO if n == MiB else _ZERO[:n]
                t.update(_ZERO_DIGEST if n == MiB else
                         hashlib.sha256(piece).digest())
            else:
                piece = bytes(pg[:n])
                t.update(hashlib.sha256(piece).digest())
            if h is not None:
                h.update(piece)
            off += n
        return (h.hexdigest() if h else None), t.hexdigest()

    def write_raw(self, path):
        with open(path, "wb") as f:
            f.truncate(self.size)
            for p in sorted(self.pages):
                f.seek(p * MiB)
                f.write(self.pages[p][:min(MiB, self.size - p * MiB)])


# --------------------------------------------------------------------------
# writer
# --------------------------------------------------------------------------

def write_log(path, writes, metadata_size, unique_id, previous_unique_id,
              vhd2_guid, batches, start_time, data_checksum_mode, rng,
              empty_first=True, slack=0, unclosed=False, use_gzip=False,
              original_size_mode="zero"):
    """writes: list of (byte_offset, data, timestamp).  batches: list of
    entry counts (sum == len(writes)).  Returns a description dict."""
    out = bytearray(HEADER_SIZE)        # header written last
    blocks = []
    prev = None
    if empty_first:
        blk = build_metadata_block(metadata_size, 0, [])
        blocks.append(dict(offset=len(out), entries=0))
        prev = len(out)
        out += blk
    idx = 0
    entry_info = []
    for n in batches:
        ents = []
        for _ in range(n):
            off, data, ts = writes[idx]
            idx += 1
            if data_checksum_mode == "computed" or (
                    data_checksum_mode == "mixed" and rng.random() < 0.5):
                dck = byte_sum_checksum(data)
            else:
                dck = 0
            e = build_entry(off, len(data), ts, dck)
            ents.append(e)
            entry_info.append(dict(byte_offset=off, length=len(data),
                                   file_offset=len(out), data_checksum=dck,
                                   checksum=struct.unpack_from("<I", e,
                                                               8)[0]))
            out += data
        here = len(out)
        dist = 0 if prev is None else here - prev
        blk = build_metadata_block(metadata_size, dist, ents)
        blocks.append(dict(offset=here, entries=n,
                           previous_distance=dist,
                           checksum=struct.unpack_from("<I", blk, 12)[0]))
        prev = here
        out += blk
    assert idx == len(writes)
    eol = len(out)
    if slack:
        # unused space after EOL that readers must ignore: garbage that even
        # looks like a metadata block
        junk = bytearray(rng.randbytes(slack))
        if slack >= 32:
            fake = build_metadata_block(metadata_size, eol - prev, [])[:32]
            junk[0:32] = fake
        out += junk
    file_size = len(out)
    last_ts = max([w[2] for w in writes] + [start_time]) + 1
    hdr = build_header(
        timestamp=start_time,
        original_size=0 if original_size_mode == "zero" else HEADER_SIZE,
        current_size=file_size,
        eol=0 if unclosed else eol,
        metadata_size=metadata_size,
        unique_id=unique_id, previous_unique_id=previous_unique_id,
        last_modified=last_ts, total_entries=len(writes),
        vhd2_guid=vhd2_guid)
    out[0:HEADER_SIZE] = hdr
    if use_gzip:
        with open(path, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                               mtime=0) as gz:
                gz.write(out)
    else:
        with open(path, "wb") as f:
            f.write(out)
    return dict(
        file=os.path.basename(path), gzip=use_gzip,
        unique_id=guid_text(unique_id),
        previous_unique_id=guid_text(previous_unique_id),
        vhd2_data_write_guid=guid_text(vhd2_guid),
        metadata_size=metadata_size, entries=len(writes),
        eol=0 if unclosed else eol, end_of_log=eol, file_size=file_size,
        closed=not unclosed,
        header_checksum=struct.unpack_from("<I", hdr, 40)[0],
        timestamp=start_time, last_modified=last_ts,
        sha256_file=hashlib.sha256(out).hexdigest(),
        metadata_blocks=blocks, entry_list=entry_info)


def random_writes(rng, size, count, prev_writes):
    """Lengths 512 B .. 1 MiB in multiples of 512 (mostly small), offsets
    512-aligned inside the disk, often overlapping earlier writes."""
    out = []
    max_sectors = min(MiB, size) // 512
    for _ in range(count):
        r = rng.random()
        if r < 0.55:
            ns = rng.choice([1, 2, 4, 8, 8, 8, 16, 24, 32])
        elif r < 0.9:
            ns = rng.randrange(1, 257)
        elif r < 0.97:
            ns = rng.randrange(257, max_sectors + 1)
        else:
            ns = max_sectors                  # a full 1 MiB write
        ns = max(1, min(ns, max_sectors))
        n = ns * 512
        hist = prev_writes + out
        if hist and rng.random() < 0.3:
            # overlap an earlier write: same start, or shifted into it
            po, pl = rng.choice(hist)
            o = po + rng.randrange(-pl // 512, pl // 512 + 1) * 512 // 2
            o = o // 512 * 512
        else:
            o = rng.randrange(0, (size - n) // 512 + 1) * 512
        o = max(0, min(o, size - n))
        out.append((o, n))
    return out


def split_batches(rng, n, cap, force_full):
    out = []
    left = n
    if force_full and left >= cap:
        out.append(cap)
        left -= cap
    while left:
        k = min(left, rng.choice([1, 2, 3, rng.randrange(1, cap + 1),
                                  rng.randrange(1, cap + 1)]))
        out.append(k)
        left -= k
    return out


def generate(args):
    rng = random.Random("hrl_gen:%s" % args.seed)
    os.makedirs(args.out_dir, exist_ok=True)
    if args.base_raw:
        disk = Disk.from_raw(args.base_raw)
        base_src = os.path.abspath(args.base_raw)
    else:
        if not args.size:
            raise SystemExit("give --size or --base-raw")
        disk = Disk(args.size)
        base_src = "zero"
    size = disk.size
    if size < 512 or size % 512:
        raise SystemExit("virtual size must be a positive multiple of 512")
    ms = args.metadata_size
    if ms < 64 or ms % 32:
        raise SystemExit("--metadata-size must be >= 64 and a multiple of 32")
    cap = (ms - 32) // 32
    batch_max = min(cap, args.batch_max or cap)
    vhd2 = guid_bytes(args.vhd2_guid) if args.vhd2_guid else rand_guid(rng)
    prev_uid = guid_bytes(args.first_previous) if args.first_previous \
        else bytes(16)
    full = size <= args.full_hash_limit
    d0 = disk.digests(full)
    points = [dict(k=0, after=None, sha256=d0[0], tree_digest=d0[1])]
    logs = []
    history = []
    t = args.start_time
    for k in range(1, args.logs + 1):
        uid = rand_guid(rng)
        ws = random_writes(rng, size, args.writes_per_log, history)
        history += ws
        t += 60
        writes = []
        ts = t
        for o, n in ws:
            if rng.random() < 0.1:
                ts += 1
            data = rng.randbytes(n)
            writes.append((o, data, ts))
        batches = split_batches(rng, len(writes), batch_max,
                                force_full=(k == 1))
        ext = ".hrl.gz" if args.gzip else ".hrl"
        name = "%s%d%s" % (args.prefix, k, ext)
        unclosed = args.unclosed_last and k == args.logs
        info = write_log(os.path.join(args.out_dir, name), writes, ms, uid,
                         prev_uid, vhd2, batches, t, args.data_checksum, rng,
                         empty_first=not args.no_empty_first_block,
                         slack=args.slack, unclosed=unclosed,
                         use_gzip=args.gzip,
                         original_size_mode=args.original_size)
        logs.append(info)
        for o, data, _ in writes:
            disk.write(o, data)
        dk = disk.digests(full)
        points.append(dict(k=k, after=name, sha256=dk[0], tree_digest=dk[1]))
        prev_uid = uid
        t = info["last_modified"]
    if args.raw_out:
        disk.write_raw(args.raw_out)
    manifest = dict(
        generator="hrl_gen.py", seed=str(args.seed), virtual_size=size,
        base=base_src, metadata_size=ms, entries_per_block_max=cap,
        vhd2_data_write_guid=guid_text(vhd2),
        tree_piece_size=MiB, logs=logs, points=points,
        note="points[k] = base after applying logs 1..k in order; sha256 is "
             "null when the disk is larger than --full-hash-limit")
    return manifest


def spec_example(args):
    """Reproduce the layout of the spec's section-3 example (section 13 of
    hrl-format.md): header, empty block #1 at 4096, 320000 bytes of payload
    at 8192, block #2 at 328192 with the 58 table entries (DataChecksum 0),
    EOL 332288.  Payload bytes are ours (the spec gives none): every 512-byte
    sector holds its entry id, sector index and the disk offset."""
    E = SPEC_EXAMPLE_HEADER
    size = args.size or 10 * GiB
    need = max(o + n for n, o, _, _ in SPEC_EXAMPLE_ENTRIES)
    if size < need:
        raise SystemExit("--size must be >= %d for the spec example" % need)
    disk = Disk(size)
    payload = bytearray()
    ents = []
    for i, (n, o, ts, _) in enumerate(SPEC_EXAMPLE_ENTRIES):
        data = bytearray()
        for s in range(n // 512):
            sec = struct.pack("<4sIIQ", b"HRLX", i + 1, s, o + 512 * s)
            data += (sec * (512 // len(sec) + 1))[:512]
        payload += data
        ents.append(build_entry(o, n, ts, 0))
        disk.write(o, data)
    out = bytearray(HEADER_SIZE)
    out += build_metadata_block(4096, 0, [])
    assert len(out) == 8192
    out += payload
    assert len(out) == 328192
    out += build_metadata_block(4096, 328192 - 4096, ents)
    assert len(out) == E["eol"]
    hdr = build_header(E["timestamp"], 0, E["current_size"], E["eol"], 4096,
                       guid_bytes(E["unique_id"]),
                       guid_bytes(E["previous_unique_id"]),
                       E["last_modified"], E["total_entries"],
                       guid_bytes(E["vhd2_data_write_guid"]))
    out[0:HEADER_SIZE] = hdr
    os.makedirs(args.out_dir, exist_ok=True)
    name = "spec_example.hrl" + (".gz" if args.gzip else "")
    path = os.path.join(args.out_dir, name)
    if args.gzip:
        with open(path, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                               mtime=0) as gz:
                gz.write(out)
    else:
        with open(path, "wb") as f:
            f.write(out)
    full = size <= args.full_hash_limit
    z = Disk(size).digests(full)
    d = disk.digests(full)
    blk2 = out[328192:328192 + 32]
    return dict(
        generator="hrl_gen.py --spec-example", virtual_size=size,
        base="zero", metadata_size=4096,
        vhd2_data_write_guid=E["vhd2_data_write_guid"],
        logs=[dict(
            file=name, gzip=args.gzip, unique_id=E["unique_id"],
            previous_unique_id=E["previous_unique_id"],
            entries=58, eol=E["eol"], file_size=len(out),
            header_checksum=struct.unpack_from("<I", hdr, 40)[0],
            header_checksum_printed_in_spec=E["printed_checksum"],
            metadata_blocks=[
                dict(offset=4096, entries=0, previous_distance=0,
                     checksum=0xFFFFFFFF),
                dict(offset=328192, entries=58, previous_distance=324096,
                     checksum=struct.unpack_from("<I", blk2, 12)[0])],
            entry_list=[dict(id=i + 1, byte_offset=o, length=n, timestamp=ts,
                             checksum=struct.unpack_from("<I", e, 8)[0],
                             checksum_in_spec=c, data_checksum=0)
                        for i, ((n, o, ts, c), e) in
                        enumerate(zip(SPEC_EXAMPLE_ENTRIES, ents))],
            sha256_file=hashlib.sha256(out).hexdigest())],
        points=[dict(k=0, after=None, sha256=z[0], tree_digest=z[1]),
                dict(k=1, after=name, sha256=d[0], tree_digest=d[1])],
        note="header checksum is computed from the bytes written; the "
             "spec's printed 0xFFFFE27B does not reproduce (hrl-format.md "
             "13.1)")


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Write chains of Hyper-V Replica logs with known effect.")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--logs", type=int, default=3)
    ap.add_argument("--writes-per-log", type=int, default=50)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--gzip", action="store_true",
                    help="write NAME.hrl.gz instead of NAME.hrl")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--base-raw", help="raw base disk (e.g. gen_vhdx.py "
                     "--raw-out of a VHDX)")
    src.add_argument("--size", type=_size, help="zero base disk of this size")
    ap.add_argument("--vhd2-guid", help="Vhd2DataWriteGuid as GUID text "
                    "(e.g. the base VHDX's DataWriteGuid); random if absent")
    ap.add_argument("--first-previous", help="PreviousUniqueId of log 1 "
                    "(default all zero)")
    ap.add_argument("--metadata-size", type=int, default=4096)
    ap.add_argument("--batch-max", type=int, default=0,
                    help="max entries per metadata block (default: full "
                    "capacity (MetadataSize-32)/32)")
    ap.add_argument("--data-checksum", choices=["zero", "computed", "mixed"],
                    default="computed")
    ap.add_argument("--no-empty-first-block", action="store_true",
                    help="do not write Hyper-V's empty first metadata block")
    ap.add_argument("--slack", type=int, default=0,
                    help="bytes of garbage after EOL (CurrentSize includes "
                    "them)")
    ap.add_argument("--unclosed-last", action="store_true",
                    help="leave EOLLocation 0 in the last log")
    ap.add_argument("--original-size", choices=["zero", "created"],
                    default="zero", help="OriginalSize: 0 like the spec "
                    "example, or the size at creation (4096)")
    ap.add_argument("--start-time", type=int, default=DEFAULT_TIME,
                    help="first TimeStamp (seconds since 2000-01-01 UTC)")
    ap.add_argument("--prefix", default="log")
    ap.add_argument("--raw-out", help="also write the final raw disk")
    ap.add_argument("--manifest", help="manifest path (default "
                    "OUT_DIR/manifest.json)")
    ap.add_argument("--full-hash-limit", type=_size, default=GiB,
                    help="compute the whole-disk sha256 only up to this size "
                    "(the tree digest is always computed)")
    ap.add_argument("--spec-example", action="store_true",
                    help="write the spec section-13 example layout")
    ap.add_argument("--print", action="store_true",
                    help="print the manifest to stdout")
    a = ap.parse_args(argv)
    m = spec_example(a) if a.spec_example else generate(a)
    path = a.manifest or os.path.join(a.out_dir, "manifest.json")
    with open(path, "w") as f:
        json.dump(m, f, indent=1)
        f.write("\n")
    if a.print:
        json.dump(m, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(path)
    return 0


def _size(text):
    t = text.strip().upper()
    if "+" in t:
        return sum(_size(x) for x in t.split("+"))
    for suf, mul in (("G", GiB), ("M", MiB), ("K", KiB)):
        if t.endswith(suf):
            return int(t[:-1], 0) * mul
    return int(t, 0)


if __name__ == "__main__":
    sys.exit(main())

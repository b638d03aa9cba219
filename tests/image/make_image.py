#!/usr/bin/env python3
"""Build OCI image layouts for husk's image tests, offline, with tarfile.

  make_image.py multi OUT [--tag T] [--user U] [--zstd] [--nested]   a 3-layer busybox
        image (gzip, gzip or zstd, plain tar: umoci 0.4.7 reads no zstd) with whiteouts, hard links, symlinks, devices, setuid
        bits, xattrs, owners and mtimes; OUT is an OCI image layout
  make_image.py hostile KIND OUT OUTSIDE   a crafted image of one attack
        (see HOSTILE below); OUTSIDE is a directory outside the rootfs that
        the attack aims at
  make_image.py bench OUT                  the 5-layer image of bench/image_unpack.sh
  make_image.py seeds DIR                  the layer fuzzer's seed corpus
  make_image.py compare A B                compare two trees entry by entry
        (type, mode, owner, size, content hash, link target, xattrs, device);
        prints the differences, exits 1 if any
"""
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import stat
import subprocess
import sys
import tarfile

BUSYBOX = shutil.which("busybox") or "/bin/busybox"


def entry(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, gid=0,
          mtime=1700000000, link="", xattrs=None, dev=(0, 0)):
    return dict(name=name, kind=kind, data=data, mode=mode, uid=uid, gid=gid,
                mtime=mtime, link=link, xattrs=xattrs or {}, dev=dev)


def d(name, mode=0o755, **kw):
    return entry(name, tarfile.DIRTYPE, mode=mode, **kw)


def f(name, data=b"", mode=0o644, **kw):
    return entry(name, tarfile.REGTYPE, data=data, mode=mode, **kw)


def sym(name, target, **kw):
    return entry(name, tarfile.SYMTYPE, link=target, mode=0o777, **kw)


def hard(name, target, **kw):
    return entry(name, tarfile.LNKTYPE, link=target, **kw)


def tar_bytes(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["name"])
            ti.type = e["kind"]
            ti.mode = e["mode"]
            ti.uid, ti.gid = e["uid"], e["gid"]
            ti.uname = ti.gname = ""
            ti.mtime = e["mtime"]
            ti.linkname = e["link"]
            ti.devmajor, ti.devminor = e["dev"]
            if e["xattrs"]:
                ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in e["xattrs"].items()}
            if e["kind"] == tarfile.REGTYPE:
                ti.size = len(e["data"])
                t.addfile(ti, io.BytesIO(e["data"]))
            else:
                t.addfile(ti)
    return buf.getvalue()


def compress(raw, how):
    if how == "gzip":
        return gzip.compress(raw, compresslevel=6, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
    if how == "zstd":
        z = subprocess.run(["zstd", "-q", "-c"], input=raw, stdout=subprocess.PIPE, check=True)
        return z.stdout, "application/vnd.oci.image.layer.v1.tar+zstd"
    return raw, "application/vnd.oci.image.layer.v1.tar"


class Layout:
    def __init__(self, out):
        self.out = out
        os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(out, "oci-layout"), "w") as fp:
            fp.write('{"imageLayoutVersion":"1.0.0"}')

    def put(self, data, media, digest=None):
        real = "sha256:" + hashlib.sha256(data).hexdigest()
        digest = digest or real
        with open(os.path.join(self.out, "blobs", "sha256", digest[7:]), "wb") as fp:
            fp.write(data)
        return {"mediaType": media, "digest": digest, "size": len(data)}

    def image(self, layers, config, tag="latest", tamper=None, nested=False):
        """layers: [(entries, compression)]; tamper: what to corrupt;
        nested: index.json names an image index (multi-platform) instead."""
        tamper = tamper or ""
        descs, diff_ids = [], []
        for i, (ents, how) in enumerate(layers):
            raw = tar_bytes(ents)
            blob, media = compress(raw, how)
            diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
            digest = None
            if tamper == "layer-digest" and i == len(layers) - 1:
                # the blob stored under the digest of other bytes
                digest = "sha256:" + hashlib.sha256(blob + b"x").hexdigest()
            descs.append(self.put(blob, media, digest))
        if tamper == "diff-id":
            diff_ids[-1] = "sha256:" + "0" * 64
        cfg = dict(architecture="amd64", os="linux", config=config,
                   rootfs={"type": "layers", "diff_ids": diff_ids})
        cfg_bytes = json.dumps(cfg).encode()
        cdesc = self.put(cfg_bytes, "application/vnd.oci.image.config.v1+json",
                         "sha256:" + hashlib.sha256(b"other").hexdigest()
                         if tamper == "config-digest" else None)
        man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
               "config": cdesc, "layers": descs}
        if tamper == "bad-field":
            man["layers"][0]["digest"] = "sha256:xyz"
        mbytes = json.dumps(man).encode()
        mdesc = self.put(mbytes, "application/vnd.oci.image.manifest.v1+json",
                         "sha256:" + hashlib.sha256(b"other manifest").hexdigest()
                         if tamper == "manifest-digest" else None)
        mdesc["platform"] = {"architecture": "amd64", "os": "linux"}
        if nested:
            # another platform first, whose manifest is not even there
            other = {"mediaType": mdesc["mediaType"], "size": 10,
                     "digest": "sha256:" + hashlib.sha256(b"arm64").hexdigest(),
                     "platform": {"architecture": "arm64", "os": "linux"}}
            idx = json.dumps({"schemaVersion": 2,
                              "mediaType": "application/vnd.oci.image.index.v1+json",
                              "manifests": [other, mdesc]}).encode()
            mdesc = self.put(idx, "application/vnd.oci.image.index.v1+json")
        mdesc["annotations"] = {"org.opencontainers.image.ref.name": tag}
        with open(os.path.join(self.out, "index.json"), "w") as fp:
            json.dump({"schemaVersion": 2, "manifests": [mdesc]}, fp)


def busybox_base():
    ents = [d("bin"), d("etc"), d("tmp", mode=0o1777), d("proc"), d("sys"), d("dev"),
            d("root", mode=0o700), d("usr"), d("usr/bin"), d("var")]
    with open(BUSYBOX, "rb") as fp:
        ents.append(f("bin/busybox", fp.read(), mode=0o755))
    applets = subprocess.run([BUSYBOX, "--list"], stdout=subprocess.PIPE, check=True,
                             text=True).stdout.split()
    ents += [sym("bin/" + a, "busybox") for a in applets if a != "busybox"]
    return ents


def multi(out, tag, user, l2_compression="gzip", nested=False):
    l1 = busybox_base() + [
        f("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"),
        f("etc/group", b"root:x:0:\n"),
        f("etc/motd", b"to be whited out\n"),
        d("opq"), f("opq/a", b"a"), f("opq/b", b"b"),
        d("repl"), f("repl/x", b"x"),
        d("opq2"), d("opq2/sub"), f("opq2/sub/old", b"old"), f("opq2/other", b"other"),
        f("f2", b"file, then a directory"),
        sym("s2", "bin/busybox"),
        f("data-keep", b"kept from layer 1\n", mode=0o600, uid=7, gid=8),
    ]
    l2 = [
        f("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"
          b"app:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n"),
        f("etc/group", b"root:x:0:\napp:x:1000:\nstaff:x:50:app,other\n"
          b"wheel:x:10:root\nnobody:x:65534:\n"),
        f("etc/.wh.motd"),
        d("opq"), f("opq/.wh..wh..opq"), f("opq/c", b"c"),
        f("repl", b"a file where a directory was"),
        d("usr/local"), d("usr/local/bin"),
        f("usr/local/bin/suid", b"#!/bin/sh\n", mode=0o4755),
        f("usr/local/bin/sgid", b"#!/bin/sh\n", mode=0o2755, gid=50),
        d("data", mode=0o755),
        f("data/hard1", b"linked content\n"),
        hard("data/hard2", "data/hard1"),
        sym("data/rel", "../etc/passwd"),
        sym("data/abs", "/etc/group"),
        f("data/xattr", b"with xattrs\n", xattrs={"user.comment": "hello", "user.two": "2"}),
        entry("data/chr", tarfile.CHRTYPE, mode=0o666, dev=(1, 3)),
        entry("data/blk", tarfile.BLKTYPE, mode=0o660, dev=(7, 200)),
        entry("data/fifo", tarfile.FIFOTYPE, mode=0o620),
        d("data/owned", mode=0o700, uid=1000, gid=1000),
        f("data/owned/secret", b"s3cret\n", mode=0o640, uid=1000, gid=1000),
        f("data/mtime", b"old\n", mtime=1234567890),
        d("home"), d("home/app", uid=1000, gid=1000),
    ]
    l3 = [
        f("data/hard1", b"replaced in layer 3\n"),
        d("f2"), f("f2/inner", b"inner"),
        f("s2", b"a file where a symlink was"),
        f("data/.wh.fifo"),
        # the layer's own entries survive an opaque marker that comes after them
        f("opq2/sub/new", b"new"), f("opq2/.wh..wh..opq"),
        f("big", random.Random(42).randbytes(3 << 20), mode=0o755),
    ]
    config = {"User": user, "Env": ["PATH=/usr/local/bin:/bin", "FOO=bar"],
              "Entrypoint": ["/bin/sh", "-c"],
              "Cmd": ["echo hello-from-image; id; pwd; echo FOO=$FOO"],
              "WorkingDir": "/data", "Labels": {"org.example.label": "v"},
              "StopSignal": "SIGINT", "ExposedPorts": {"80/tcp": {}}}
    Layout(out).image([(l1, "gzip"), (l2, l2_compression), (l3, "none")], config, tag,
                      nested=nested)


# Each attack: layers of entries, given OUTSIDE (an absolute directory outside
# the rootfs).  All must leave OUTSIDE as it was.
def hostile_layers(kind, outside):
    rel_up = "../" * 12 + outside.lstrip("/")
    if kind == "dotdot":
        return [[f("ok", b"1"), f("../escape-dotdot", b"x")]]
    if kind == "dotdot-deep":
        return [[d("a"), f("a/../../escape-deep", b"x")]]
    if kind == "absolute":
        return [[f(outside + "/escape-abs", b"x")]]
    if kind == "symlink-abs":  # layer 1 plants, layer 2 follows
        return [[sym("evil", outside)], [f("evil/escape-sym", b"x")]]
    if kind == "symlink-rel":
        return [[sym("evil", rel_up)], [f("evil/escape-sym", b"x")]]
    if kind == "symlink-same-layer":
        return [[sym("evil", outside), d("evil/sub"), f("evil/sub/escape-sym", b"x")]]
    if kind == "hardlink-dotdot":
        return [[hard("hl", rel_up + "/target")]]
    if kind == "hardlink-abs":
        return [[hard("hl", outside + "/target")]]
    if kind == "hardlink-via-symlink":
        return [[sym("evil", outside)], [hard("hl", "evil/target")]]
    if kind == "whiteout-dotdot":
        return [[d("a"), f("a/.wh...", b"")]]
    if kind == "device":
        return [[entry("null2", tarfile.CHRTYPE, mode=0o666, dev=(1, 3)), f("after", b"1")]]
    raise SystemExit("unknown attack " + kind)


def hostile(kind, out, outside):
    L = Layout(out)
    if kind in ("layer-digest", "diff-id", "config-digest", "manifest-digest", "bad-field"):
        L.image([([f("a", b"1")], "gzip"), ([f("b", b"2")], "gzip")],
                {"Cmd": ["true"]}, tamper=kind)
        return
    layers = hostile_layers(kind, outside)
    L.image([(ls, "none") for ls in layers], {"Cmd": ["true"]})


def bench(out):
    """A 5-layer gzip image for bench/image_unpack.sh: the busybox base, 3000
    small files, 48 MiB in a few big ones, changes with whiteouts, links."""
    rnd = random.Random(7)
    l2 = [d("srv")] + [d("srv/d%02d" % i) for i in range(60)]
    l2 += [f("srv/d%02d/f%03d" % (i % 60, i), rnd.randbytes(rnd.randrange(64, 8192)))
           for i in range(3000)]
    # compressible but not trivial: words repeated with a little noise
    words = b" ".join(rnd.choice([b"alpha", b"beta", b"gamma", b"delta", b"%d" % rnd.randrange(1000)])
                      for _ in range(400000))
    l3 = [d("big")] + [f("big/blob%d" % i, (words * 5)[i * 64: i * 64 + (12 << 20)])
                      for i in range(4)]
    l4 = [f("srv/d%02d/.wh..wh..opq" % i) for i in range(0, 60, 2)]
    l4 += [f("srv/d%02d/new" % i, b"new") for i in range(0, 60, 2)]
    l4 += [f("big/.wh.blob3"), f("etc/passwd", b"root:x:0:0::/root:/bin/sh\n")]
    l5 = [d("links")] + [sym("links/s%d" % i, "../srv/d01/f%03d" % (i * 60 + 1)) for i in range(40)]
    l5 += [hard("links/h%d" % i, "srv/d01/f%03d" % (i * 60 + 1)) for i in range(40)]
    Layout(out).image([(busybox_base(), "gzip"), (l2, "gzip"), (l3, "gzip"), (l4, "gzip"),
                       (l5, "gzip")], {"Cmd": ["sh"]}, "bench")


def seeds(out):
    """Seed corpus of the layer fuzzer (tests/fuzz/corpus/image)."""
    os.makedirs(out, exist_ok=True)
    cases = {
        "basic": [d("etc"), f("etc/passwd", b"root:x:0:0::/:/bin/sh\n"), sym("etc/l", "passwd"),
                  hard("etc/h", "etc/passwd"), entry("fifo", tarfile.FIFOTYPE)],
        "whiteouts": [d("a"), f("a/x", b"1"), f("a/.wh.x"), f("a/.wh..wh..opq"), f("a/y", b"2"),
                      f(".wh.a")],
        "xattrs": [f("x", b"x", mode=0o4755, xattrs={"user.a": "b"}), d("dir", mode=0o700)],
        "replace": [d("r"), f("r/in", b"1"), f("r", b"now a file"), sym("s", "/etc"),
                    f("s/through", b"via a symlink")],
        "escape": [sym("up", "../../.."), f("up/x", b"1"), f("../y", b"2")],
    }
    for name, ents in cases.items():
        raw = tar_bytes(ents)
        with open(os.path.join(out, name + ".tar"), "wb") as fp:
            fp.write(raw)
    with open(os.path.join(out, "basic.tar.gz"), "wb") as fp:
        fp.write(gzip.compress(tar_bytes(cases["basic"]), mtime=0))
    with open(os.path.join(out, "whiteouts.tar.zst"), "wb") as fp:
        fp.write(compress(tar_bytes(cases["whiteouts"]), "zstd")[0])


def describe(root, rel):
    p = os.path.join(root, rel) if rel else root
    st = os.lstat(p)
    t = stat.S_IFMT(st.st_mode)
    out = dict(type=t, mode=oct(stat.S_IMODE(st.st_mode)), uid=st.st_uid, gid=st.st_gid)
    if stat.S_ISREG(t):
        out["size"] = st.st_size
        with open(p, "rb") as fp:
            out["sha256"] = hashlib.sha256(fp.read()).hexdigest()
        out["nlink"] = st.st_nlink
    elif stat.S_ISLNK(t):
        out["target"] = os.readlink(p)
    elif stat.S_ISCHR(t) or stat.S_ISBLK(t):
        out["rdev"] = (os.major(st.st_rdev), os.minor(st.st_rdev))
    try:
        names = sorted(os.listxattr(p, follow_symlinks=False))
        out["xattrs"] = {n: os.getxattr(p, n, follow_symlinks=False).hex() for n in names}
    except OSError:
        out["xattrs"] = "unsupported"
    return out


def walk(root):
    res = {".": describe(root, "")}
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            rel = os.path.relpath(os.path.join(dirpath, n), root)
            res[rel] = describe(root, rel)
    return res


def compare(a, b):
    ta, tb = walk(a), walk(b)
    bad = 0
    for k in sorted(set(ta) | set(tb)):
        if ta.get(k) != tb.get(k):
            if bad < 20:
                print("%s:\n  %s: %s\n  %s: %s" % (k, a, ta.get(k), b, tb.get(k)))
            bad += 1
    print("%d entries compared, %d differ" % (len(set(ta) | set(tb)), bad))
    return 1 if bad else 0


def main(argv):
    if argv[1] == "multi":
        tag = argv[argv.index("--tag") + 1] if "--tag" in argv else "v1"
        user = argv[argv.index("--user") + 1] if "--user" in argv else "app"
        multi(argv[2], tag, user, "zstd" if "--zstd" in argv else "gzip", "--nested" in argv)
    elif argv[1] == "hostile":
        hostile(argv[2], argv[3], argv[4])
    elif argv[1] == "bench":
        bench(argv[2])
    elif argv[1] == "seeds":
        seeds(argv[2])
    elif argv[1] == "compare":
        return compare(argv[2], argv[3])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

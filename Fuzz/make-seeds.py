#!/usr/bin/env python3
"""Writes the seed corpora under Fuzz/corpus (kilobytes, no model weights).

Images are crops of the sample photos (../shared/images) decoded at 1/8 scale with libturbojpeg
and re-encoded with libturbojpeg, libwebp and a small PNG writer; the other seeds are made
here in each format. Run from anywhere: python3 Fuzz/make-seeds.py
"""
import ctypes, ctypes.util, hashlib, json, os, struct, zlib

here = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(here, "corpus")
shared = os.path.normpath(os.path.join(here, "..", "..", "shared"))

def write(target, name, data):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    with open(os.path.join(corpus, target, name), "wb") as f:
        f.write(bytes(data))

# ---- images ---------------------------------------------------------------------------------
tj = ctypes.CDLL("libturbojpeg.so.0")
webp = ctypes.CDLL("libwebp.so.7")
tj.tjInitDecompress.restype = ctypes.c_void_p
tj.tjInitCompress.restype = ctypes.c_void_p
tj.tjAlloc.restype = ctypes.c_void_p

def decode_scaled(path, scale_den=8):
    data = open(path, "rb").read()
    h = ctypes.c_void_p(tj.tjInitDecompress())
    w, ht, sub, cs = ctypes.c_int(), ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    assert tj.tjDecompressHeader3(h, data, ctypes.c_ulong(len(data)), ctypes.byref(w), ctypes.byref(ht), ctypes.byref(sub), ctypes.byref(cs)) == 0
    sw, sh = (w.value + scale_den - 1) // scale_den, (ht.value + scale_den - 1) // scale_den
    buf = ctypes.create_string_buffer(sw * sh * 3)
    assert tj.tjDecompress2(h, data, ctypes.c_ulong(len(data)), buf, sw, 0, sh, 0, 0) == 0   # TJPF_RGB
    tj.tjDestroy(h)
    return sw, sh, bytearray(buf.raw)

def crop(img, x, y, cw, ch):
    w, h, px = img
    cw, ch = min(cw, w - x), min(ch, h - y)
    out = bytearray()
    for r in range(y, y + ch):
        out += px[(r * w + x) * 3:(r * w + x + cw) * 3]
    return cw, ch, out

def jpeg(img, quality=80, subsamp=2, flags=0, gray=False):
    w, h, px = img
    if gray:
        px = bytearray(px[i] for i in range(0, len(px), 3)); pf, subsamp = 6, 3   # TJPF_GRAY, TJSAMP_GRAY
    else:
        pf = 0
    c = ctypes.c_void_p(tj.tjInitCompress())
    out = ctypes.c_void_p(); size = ctypes.c_ulong(0)
    assert tj.tjCompress2(c, bytes(px), w, 0, h, pf, ctypes.byref(out), ctypes.byref(size), subsamp, quality, flags) == 0
    data = ctypes.string_at(out, size.value)
    tj.tjFree(out); tj.tjDestroy(c)
    return data

def app1(orientation, big_endian):
    e = ">" if big_endian else "<"
    tiff = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    tiff += struct.pack(e + "H", 2)
    tiff += struct.pack(e + "HHIHH", 0x010F, 2, 4, 0, 0)           # Make (ASCII, inline "FK\0\0" replaced)
    tiff += struct.pack(e + "HHIHH", 0x0112, 3, 1, orientation, 0)  # Orientation (SHORT)
    tiff += struct.pack(e + "I", 0)
    body = b"Exif\0\0" + tiff
    return b"\xFF\xE1" + struct.pack(">H", len(body) + 2) + body, tiff

def with_app1(jpg, segment):
    return jpg[:2] + segment + jpg[2:]

def png(w, h, rows, color_type, bit_depth=8, extra=b"", interlace=0):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, interlace))
            + extra + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")), chunk

def webp_encode(img, lossless):
    w, h, px = img
    out = ctypes.c_void_p()
    if lossless:
        n = webp.WebPEncodeLosslessRGB(bytes(px), w, h, w * 3, ctypes.byref(out))
    else:
        n = webp.WebPEncodeRGB(bytes(px), w, h, w * 3, ctypes.c_float(60), ctypes.byref(out))
    data = ctypes.string_at(out, n)
    webp.WebPFree(out)
    return data

portrait = decode_scaled(os.path.join(shared, "images/barack_obama/official_portrait_2012.jpg"))
group = decode_scaled(os.path.join(shared, "images/group/obama_biden_oval_office.jpg"))
face = crop(portrait, portrait[0] // 2 - 16, portrait[1] // 4, 32, 40)
small = crop(group, 20, 10, 24, 16)
write("image", "portrait-420.jpg", jpeg(face))
write("image", "group-444-q95.jpg", jpeg(small, quality=95, subsamp=0))
write("image", "portrait-progressive.jpg", jpeg(face, flags=16384))   # TJFLAG_PROGRESSIVE
write("image", "portrait-gray.jpg", jpeg(face, gray=True))
for o in (3, 6, 8):
    seg, _ = app1(o, big_endian=(o == 6))
    write("image", f"portrait-exif{o}.jpg", with_app1(jpeg(small), seg))
w, h, px = small
rgb_rows = [bytes(px[r * w * 3:(r + 1) * w * 3]) for r in range(h)]
data, chunk = png(w, h, rgb_rows, 2)
write("image", "group-rgb.png", data)
rgba_rows = [bytes(b for i in range(w) for b in (*row[3 * i:3 * i + 3], 255 - i * 8)) for row in rgb_rows]
write("image", "group-rgba-interlaced.png", png(w, h, rgba_rows, 6, interlace=1)[0])
gray_rows = [bytes(row[3 * i] for i in range(w)) for row in rgb_rows]
write("image", "group-gray-gamma.png", png(w, h, gray_rows, 0, extra=chunk(b"gAMA", struct.pack(">I", 100000)))[0])
rows16 = [bytes(b for v in row for b in (v, v)) for row in rgb_rows]
write("image", "group-rgb16.png", png(w, h, rows16, 2, bit_depth=16)[0])
palette = bytes(v for i in range(16) for v in (i * 16, 255 - i * 16, (i * 64) % 256))
pal_rows = [bytes((row[3 * i] >> 4) for i in range(w)) for row in rgb_rows]
write("image", "group-palette.png", png(w, h, pal_rows, 3, extra=chunk(b"PLTE", palette))[0])
write("image", "portrait-lossy.webp", webp_encode(face, False))
write("image", "group-lossless.webp", webp_encode(small, True))

# ---- EXIF: first byte even = a whole JPEG, odd = the TIFF block alone ---------------------------
tiny = jpeg(crop(portrait, 0, 0, 8, 8), quality=50)
for o in range(1, 9):
    seg, tiff = app1(o, big_endian=o % 2 == 0)
    write("exif", f"jpeg-orientation{o}", b"\0" + with_app1(tiny, seg)[:len(seg) + 24])
    write("exif", f"tiff-orientation{o}", b"\1" + tiff)
write("exif", "jpeg-app0-then-exif", b"\0" + b"\xFF\xD8\xFF\xE0\x00\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0" + app1(6, False)[0] + b"\xFF\xDA")

# ---- TF.js: model.json, a zero byte, the shard -----------------------------------------------
def tfjs(topology, groups, shard):
    model = {"format": "graph-model", "modelTopology": {"node": topology}, "weightsManifest": groups}
    return json.dumps(model, separators=(",", ":")).encode() + b"\0" + shard

front = json.load(open(os.path.join(shared, "weights/blazeface-front/model.json")))
nodes = front["modelTopology"]["node"][:6]          # the real graph's first nodes (no weights)
entries = [{"name": "w", "shape": [2, 3], "dtype": "float32"}, {"name": "b", "shape": [3], "dtype": "float32"},
           {"name": "shape", "shape": [2], "dtype": "int32"}]
f32 = struct.pack("<6f", 0.5, -1, 2, 3.25, -0.125, 1e-3) + struct.pack("<3f", 0, 1, -1)
write("tfjs", "front-head-f32-i32", tfjs(nodes, [{"paths": ["group1-shard1of1.bin"], "weights": entries}], f32 + struct.pack("<2i", -1, 7)))
write("tfjs", "float16", tfjs(nodes[:2], [{"paths": ["a.bin"], "weights": [{"name": "h", "shape": [4], "dtype": "float16"}]}],
                              struct.pack("<4H", 0x3C00, 0x8001, 0x7BFF, 0x0400)))
q8 = {"name": "q8", "shape": [2, 2], "dtype": "float32", "quantization": {"dtype": "uint8", "min": -1.0, "scale": 0.0078125, "original_dtype": "float32"}}
q16 = {"name": "q16", "shape": [3], "dtype": "float32", "quantization": {"dtype": "uint16", "min": 0.5, "scale": 1e-4}}
qf16 = {"name": "qf16", "shape": [1], "dtype": "float32", "quantization": {"dtype": "float16"}}
write("tfjs", "quantized", tfjs(nodes[:3], [{"paths": ["g1-1.bin", "g1-2.bin"], "weights": [q8, q16, qf16]}],
                                bytes([0, 128, 255, 7]) + struct.pack("<3H1H", 0, 1000, 65535, 0x3555)))
write("tfjs", "two-groups-missing", tfjs(nodes[:1], [{"paths": ["x.bin"], "weights": [{"name": "a", "shape": [1], "dtype": "float32"}]},
                                                   {"paths": ["missing.bin"], "weights": []}], struct.pack("<f", 1)))
write("tfjs", "no-manifest", json.dumps({"format": "graph-model", "modelTopology": {"node": nodes[:2]}}).encode())

# ---- safetensors -----------------------------------------------------------------------------
def safetensors(tensors, metadata):
    header, offset, body = {"__metadata__": metadata}, 0, b""
    for name, dtype, shape, data in sorted(tensors):
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data); body += data
    j = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    j += b" " * (-len(j) % 8)
    return struct.pack("<Q", len(j)) + j + body

write("safetensors", "f32-i32-meta", safetensors([("conv/w", "F32", [2, 2], struct.pack("<4f", 1, -2, 0.5, 3)),
                                                  ("shape", "I32", [3], struct.pack("<3i", 1, -1, 9))],
                                                 {"source_sha256": "ab" * 32, "format": "facekit-1"}))
write("safetensors", "scalar-empty", safetensors([("s", "F32", [], struct.pack("<f", 2.5)), ("e", "F32", [0, 4], b"")], {}))
write("safetensors", "header-only", safetensors([], {"k": "v"}))

# ---- gallery ---------------------------------------------------------------------------------
def gallery(people, dimension, model="se-mobilefacenet-arcface"):
    index, vectors = [], b""
    for ident, meta, embs in people:
        items = []
        for k, (vec, emeta) in enumerate(embs):
            n = sum(v * v for v in vec) ** 0.5
            items.append({"metadata": emeta, "norm": 1.0 + k})
            vectors += struct.pack(f"<{dimension}f", *[v / n for v in vec])
        index.append({"embeddings": items, "identifier": ident, "metadata": meta})
    j = json.dumps(index, sort_keys=True, separators=(",", ":")).encode()
    payload = j + vectors
    count = sum(len(e) for _, _, e in people)
    head = b"FKGALLRY" + struct.pack("<III", 1, dimension, count) + model.encode().ljust(32, b"\0") + struct.pack("<Q", len(j))
    return head + hashlib.sha256(payload).digest() + payload

g4 = gallery([("Barack Obama", {"enrolled": "2026-12-01"}, [([1, 2, 3, 4], {"source": "a.jpg"}), ([0, 1, 0, 1], {})]),
              ("Joe Biden", {}, [([4, 3, 2, 1], {"source": "b.jpg"})])], 4)
# First byte: odd = the fuzz target recomputes the checksum, even = bytes as they are.
write("gallery", "dim4-two-people", b"\0" + g4)
write("gallery", "dim4-two-people-fixsum", b"\1" + g4)
g256 = gallery([("Person", {}, [([((i * 37) % 17) - 8 + 0.5 for i in range(256)], {"source": "p.jpg"})])], 256)
write("gallery", "dim256-one", b"\1" + g256)
write("gallery", "empty", b"\1" + gallery([], 256))

# Format 2: the snapshot (version 2) followed by log records (GalleryFile.swift's header comment).
def record(change, vectors=b""):
    j = json.dumps(change, sort_keys=True, separators=(",", ":")).encode()
    payload = struct.pack("<I", len(j)) + j + vectors
    return b"FKLR" + struct.pack("<I", len(payload)) + hashlib.sha256(payload).digest() + payload

def v2(snapshot):
    return snapshot[:8] + struct.pack("<I", 2) + snapshot[12:]

log4 = (record({"op": "enroll", "identifier": "Kamala Harris", "personMetadata": {"n": "1"},
                "embeddings": [{"metadata": {"source": "c.jpg"}, "norm": 2.0}]}, struct.pack("<4f", 0.5, 0.5, 0.5, 0.5))
        + record({"op": "rename", "identifier": "Joe Biden", "to": "President Biden"})
        + record({"op": "remove", "identifier": "Barack Obama"}))
write("gallery", "v2-dim4-log", b"\0" + v2(g4) + log4)
write("gallery", "v2-dim4-log-fixsum", b"\1" + v2(g4) + log4)
write("gallery", "v2-dim4-log-torn-tail", b"\0" + v2(g4) + log4[:-7])

# ---- pairs -----------------------------------------------------------------------------------
write("pairs", "csv-header", b"path_a,path_b,same\na/1.jpg,a/2.jpg,1\na/1.jpg,b/1.jpg,0\n/abs/x.png, y.webp ,yes\n")
write("pairs", "csv-comments", b"# comment\n\nx.jpg,y.jpg,false\r\nx.jpg,z.jpg,TRUE\n")
write("pairs", "lfw-folds", b"2\t2\nAbel_Pacheco\t1\t4\nAkhmed_Zakayev\t1\t3\nAbdel_Madi_Shabneh\t1\tDean_Barker\t1\nAbdel_Madi_Shabneh\t1\tGiancarlo_Fisichella\t1\n"
                              b"Ana\t2\t3\nBo\t1\t2\nCy\t1\tDi\t2\nEd\t3\tFo\t1\n")
write("pairs", "lfw-plain", b"300\nGeorge_W_Bush 10 24\nA 1 B 0001\n")
print("seeds written to", corpus)

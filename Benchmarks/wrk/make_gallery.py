#!/usr/bin/env python3
"""Writes a FaceKit gallery file (format version 1, Sources/FaceKit/Gallery/GalleryFile.swift)
of N synthetic people, one random unit-length 256-d embedding each: the index the identify
benchmark searches. Usage: make_gallery.py OUT.fkg [N=100000] [SEED=1]"""
import hashlib, json, random, struct, sys, array, math

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
dim, model = 256, b"arcface-se-mobilefacenet"

index = [{"embeddings": [{"metadata": {}, "norm": 1.0}], "identifier": f"person-{i:06d}", "metadata": {}} for i in range(n)]
payload = bytearray(json.dumps(index, separators=(",", ":"), sort_keys=True).encode())
json_length = len(payload)
values = array.array("f")
for _ in range(n):
    v = [rng.gauss(0, 1) for _ in range(dim)]
    s = 1 / math.sqrt(sum(x * x for x in v))
    values.extend(x * s for x in v)
if sys.byteorder != "little":
    values.byteswap()
payload += values.tobytes()
with open(out, "wb") as f:
    f.write(b"FKGALLRY" + struct.pack("<III", 1, dim, n) + model.ljust(32, b"\0") + struct.pack("<Q", json_length))
    f.write(hashlib.sha256(payload).digest())
    f.write(payload)
print(f"{out}: {n} people, {dim}-d")

"""make_default_pipeline.py - TensorFlow reference for FaceKit's DEFAULT pipeline.

FaceRecognizer's default configuration is not the front-model pipeline of
shared/reference/embeddings.json. It is:

  1. detect with blazeface-back (256 input, min score 0.5, weighted NMS IoU 0.3);
  2. keypoint refinement: for every back-model face, a 128x128 crop around it, 3x the box,
     is re-detected with blazeface-front; the front face nearest the crop centre (if its box
     centre is within 0.25 * 128 px of the centre) supplies the box and keypoints;
  3. template alignment (arcface4) with those keypoints;
  4. embed the 112x112 crop with arcface-se-mobilefacenet.

This script computes all four steps with the shared reference tools (TensorFlow graph of the
TF.js files + the numpy definitions of letterbox, anchors, decoding, NMS, similarity and
warping in make_reference.py) and adds the refinement crop, written out here from its
definition (not from FaceKit's Swift code):

  side = 3 * max(box.width, box.height)                 (back-model box, pixels)
  (cx, cy) = box centre; x0 = cx - side/2, y0 = cy - side/2; k = side / 128
  crop pixel (u, v) samples the photo at continuous (x0 + (u + 0.5) k, y0 + (v + 0.5) k),
      i.e. pixel-index (x0 + (u + 0.5) k - 0.5, y0 + (v + 0.5) k - 0.5), bilinear over the 2x2
      neighbours, neighbours outside the photo = 0 (the warp of make_reference.py),
      computed in float64, converted to float32, rounded half away from zero, clamped to
      [0, 255] -> an 8-bit 128x128 RGB image;
  front detection on that image: its letterbox is the identity (128 -> 128), then x/127.5 - 1,
      decoding, min score 0.5, weighted NMS IoU 0.3 as for any photo;
  the candidate whose box centre is nearest (64, 64) (first one in NMS order on a tie); if that
      distance is >= 32 px or there is no candidate, the back face is kept unchanged;
  refined box and keypoints = x0 + p.x * k, y0 + p.y * k; the score stays the back model's.

Per face it also records `sensitivity`: how far TF's own refined keypoints and embedding move
when the back box moves by SENSITIVITY (1e-5) of its size in four directions. The 8-bit crop makes
refinement chaotic at that scale; the Swift test allows each face twice its sensitivity.

Usage (from the package root, with ../shared beside it and the venv of
shared/reference/tools/requirements.txt):
    python Tests/Fixtures/default-pipeline/make_default_pipeline.py [--shared DIR] [--out FILE]
Writes Tests/Fixtures/default-pipeline/default-pipeline.json by default.
"""
import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

CONTEXT = 3.0          # crop side / larger box side
CROP = 128             # blazeface-front input size
MAX_CENTRE = 0.25      # accepted distance of the refined face's centre from the crop centre, x CROP
SENSITIVITY = 1e-5     # box move, as a fraction of its size, for the per-face sensitivity

def make_refine_and_embed(mr, runners, io, detect_unit, refinement_crop, face_json):
    def refine_and_embed(img, box, kps, rec, margins):
        crop, x0, y0, k, side = refinement_crop(img, box)
        cx_in, _ = mr.letterbox_resize(crop, CROP)   # a 128 square: the identity resize, then x/127.5 - 1
        cands, p = detect_unit("blazeface-front", cx_in)
        rec.update({"refinementCrop": {"x0": mr.r6(x0), "y0": mr.r6(y0), "side": mr.r6(side), "scale": mr.r6(k),
                           "sha256": hashlib.sha256(crop.tobytes()).hexdigest(),
                           "candidates": len(cands)}})
        # every crop anchor score near the 0.5 threshold is a place where float noise could change the result
        if margins is not None:
            margins["cropScore"].append(float(np.min(np.abs(p - mr.MIN_SCORE))))
        rec["refinementCrop"]["closestAnchorScoreTo0.5"] = mr.r6(p[np.argmin(np.abs(p - mr.MIN_SCORE))])
        best, best_d = None, math.inf
        for c in cands:
            b = c["box"]
            ccx, ccy = (b[0] + b[2]) / 2 * CROP, (b[1] + b[3]) / 2 * CROP
            dist = math.hypot(ccx - CROP / 2, ccy - CROP / 2)
            if dist < best_d:
                best, best_d = c, dist
        refined = best is not None and best_d < MAX_CENTRE * CROP
        if best is not None:
            if margins is not None:
                margins["centre"].append(abs(best_d - MAX_CENTRE * CROP))
            rec["refinementCrop"]["centreDistance"] = mr.r6(best_d)
            rec["refinementCrop"]["cropScore"] = mr.r6(best["score"])
        rec["refined"] = bool(refined)
        if refined:
            b, kc = best["box"], best["kp"] * CROP
            rbox = np.array([x0 + b[0] * CROP * k, y0 + b[1] * CROP * k, (b[2] - b[0]) * CROP * k, (b[3] - b[1]) * CROP * k])
            rkps = np.stack([x0 + kc[:, 0] * k, y0 + kc[:, 1] * k], 1)
        else:
            rbox, rkps = box, kps
        r = face_json(rbox, rkps)
        rec["refinedBox"], rec["refinedKeypoints"] = r["box"], r["keypoints"]
        src = np.array([[rkps[i, 0] - 0.5, rkps[i, 1] - 0.5] for i in range(4)])
        M = mr.similarity(src, mr.TEMPLATE4)
        aligned = mr.warp_bilinear(img, M)
        e = runners[mr.EMBEDDER](io[mr.EMBEDDER][1], {io[mr.EMBEDDER][0][0]: mr.normalize_crop(aligned)})[0][0]
        rec["matrix"] = [[mr.f9(v) for v in row] for row in M]
        rec["embedding"] = [mr.f9(v) for v in e]
        rec["embeddingNorm"] = mr.r6(np.linalg.norm(e.astype(np.float64)))
        return {"kp": rkps, "e": e.astype(np.float64)}
    return refine_and_embed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=os.path.join(PACKAGE, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(HERE, "default-pipeline.json"))
    args = ap.parse_args()
    shared = os.path.abspath(args.shared)
    sys.path.insert(0, os.path.join(shared, "reference", "tools"))
    import tensorflow as tf
    import make_reference as mr
    from tfjs_graph import Runner, load_tfjs_graph

    runners, io = {}, {}
    for m in ("blazeface-back", "blazeface-front", mr.EMBEDDER):
        gd, ins, outs, _, _ = load_tfjs_graph(os.path.join(shared, "weights", m))
        runners[m] = Runner(gd, threads=1)
        io[m] = (ins, outs)

    names = ["Identity:0", "Identity_1:0", "Identity_2:0", "Identity_3:0"]

    def detect_unit(model, x):
        """Faces of one preprocessed input, in the unit square of its letterbox (full precision)."""
        cfg = mr.DETECTORS[model]
        res = dict(zip(names, runners[model](names, {"input:0": x})))
        p, boxes, kp = mr.decode(res, cfg["size"], cfg["strides"])
        return mr.weighted_nms(p, boxes, kp), p

    def to_pixels(d, side, pl, pt):
        b, k = d["box"], d["kp"]
        box = np.array([b[0] * side - pl, b[1] * side - pt, (b[2] - b[0]) * side, (b[3] - b[1]) * side])
        kps = np.stack([k[:, 0] * side - pl, k[:, 1] * side - pt], 1)
        return box, kps

    def refinement_crop(img, box):
        side = CONTEXT * max(box[2], box[3])
        cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
        x0, y0, k = cx - side / 2, cy - side / 2, side / CROP
        # crop index -> photo index, then the forward matrix for make_reference.warp_bilinear
        inv = np.array([[k, 0.0, x0 + 0.5 * k - 0.5], [0.0, k, y0 + 0.5 * k - 0.5]])
        M = mr.invert2x3(inv)
        v = mr.warp_bilinear(img, M, n=CROP).astype(np.float32).astype(np.float64)
        crop = np.clip(np.floor(v + 0.5), 0, 255).astype(np.uint8)   # half away from zero (v >= 0)
        return crop, x0, y0, k, side

    def pt(p):
        return {"x": mr.r6(p[0]), "y": mr.r6(p[1])}

    def face_json(box, kps):
        return {"box": {"x": mr.r6(box[0]), "y": mr.r6(box[1]), "width": mr.r6(box[2]), "height": mr.r6(box[3])},
                "keypoints": {n: pt(kps[i]) for i, n in enumerate(mr.KP_NAMES)}}

    refine_and_embed = make_refine_and_embed(mr, runners, io, detect_unit, refinement_crop, face_json)

    with open(os.path.join(shared, "images", "manifest.tsv")) as f:
        photos = sorted(line.split("\t")[0] for line in f.read().splitlines()[1:] if line.strip())

    doc = {"description": "FaceKit's default pipeline (blazeface-back, keypoint refinement with blazeface-front on a "
                          "3x crop, template alignment, arcface-se-mobilefacenet); see README.md beside this file",
           "versions": {"python": sys.version.split()[0], "tensorflow": tf.__version__, "numpy": np.__version__},
           "refinement": {"context": CONTEXT, "cropSize": CROP, "maxCentreDistance": MAX_CENTRE * CROP},
           "minScore": mr.MIN_SCORE, "nmsIoU": mr.NMS_IOU, "photos": {}}
    margins = {"cropScore": [], "centre": [], "mainScoreGap": []}
    for ph in photos:
        img, _ = mr.load_rgb(os.path.join(shared, "images", ph))
        H, W = img.shape[:2]
        x, lb = mr.letterbox_resize(img, 256)
        dets, pback = detect_unit("blazeface-back", x)
        faces = []
        for d in dets:
            box, kps = to_pixels(d, lb["side"], lb["padLeft"], lb["padTop"])
            rec = {"score": mr.r6(d["score"]), **face_json(box, kps)}
            main = refine_and_embed(img, box, kps, rec, margins)
            # Sensitivity: the same steps with the back box moved by SENSITIVITY of its size (about
            # 10x the float noise of FaceKit's back detections), four ways. The refinement crop is
            # rounded to 8 bits, so such a move flips some crop pixels by one level; for some faces
            # (a profile, tiny faces) the front model's keypoints, and so the embedding, then move
            # far more than the move itself. The Swift test allows a few times this spread.
            size = max(box[2], box[3])
            spread_kp, spread_cos = 0.0, 0.0
            for sx, sy, sc in ((1, 1, 1), (-1, -1, -1), (1, -1, 0), (-1, 1, 0)):
                dx, dy, ds = sx * SENSITIVITY * size, sy * SENSITIVITY * size, sc * SENSITIVITY * size
                moved = np.array([box[0] + dx - ds / 2, box[1] + dy - ds / 2, box[2] + ds, box[3] + ds])
                other = refine_and_embed(img, moved, kps, {}, None)
                spread_kp = max(spread_kp, float(np.abs(other["kp"] - main["kp"]).max()) / size)
                spread_cos = max(spread_cos, 1.0 - float(mr.l2n(other["e"]) @ mr.l2n(main["e"])))
            rec["sensitivity"] = {"boxMove": SENSITIVITY, "refinedKeypoints": float("%.3g" % spread_kp),
                                  "cosineGap": float("%.3g" % max(spread_cos, 0.0))}
            faces.append(rec)
        if len(dets) > 1:
            s = sorted(d["score"] for d in dets)
            margins["mainScoreGap"].append(s[-1] - s[-2])
        doc["photos"][ph] = {"width": W, "height": H, "letterbox": lb,
                             "closestAnchorScoreTo0.5": mr.r6(pback[np.argmin(np.abs(pback - mr.MIN_SCORE))]), "faces": faces}
        print("%-48s back %2d faces, refined %2d" % (ph, len(faces), sum(f["refined"] for f in faces)))
    doc["margins"] = {"smallestCropAnchorScoreMinus0.5": mr.r6(min(margins["cropScore"])),
                      "smallestCentreDistanceMinus32": mr.r6(min(margins["centre"])),
                      "smallestGapBetweenTheTwoBestScores": mr.r6(min(margins["mainScoreGap"]))}
    print(json.dumps(doc["margins"]))
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote", args.out, os.path.getsize(args.out), "bytes")


if __name__ == "__main__":
    main()

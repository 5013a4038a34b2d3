"""Face measures that need no download: dlib's CNN face detector, 68-point landmarks and 128-d face descriptor,
whose weights ship inside the PyPI wheels `dlib-bin` and `face-recognition-models`.

- **NME**: mean landmark distance between a generated face and its photo, over the photo's outer-eye-corner
  distance (points 36 and 45).
- **identity match**: share of (generated, photo) pairs whose descriptor distance is < 0.6 (dlib's threshold).
- **diversity**: mean pairwise descriptor distance across the generated faces.
- **stamp ratio**: per component box, high-frequency energy (grey minus its σ = 1.5 px Gaussian blur, squared,
  at 256²) of the *mean* generated face over that of the mean photo. A pattern stamped into every face
  survives averaging; real detail averages out. Over 2 means an artefact.

- **lattice fraction**: a per-face measure of textures locked to the generator's upsampling grid (the hatched,
  grid-like pattern a mean cannot show because it differs per face). At the model's own resolution, each 32×32
  block of the high-passed grey image (minus its σ = 1 px Gaussian blur) is split into P×P tiles; the share of
  the block's energy in the tiles' mean pattern (repeated) is the block's lattice fraction for period P. Natural
  detail has no phase locked to the image origin, so it averages out over the 32/P × 32/P tiles; a grid pattern
  does not. Reported as the mean over blocks and faces, for generated faces and for their photos at the same
  resolution, and their ratio (1 = as much lattice-locked texture as the photos).

Every dlib measure is taken at 256² (generated faces are resized bicubically). Landmarks and descriptors of a
generated face are taken inside its *photo's* detected face box: the shape predictor is sensitive to where a
box sits, and boxes found separately on two images of the same face moved the landmarks of a merely blurred
photo by 6.8 % of the eye distance (10 test photos), which would swamp the differences being measured. The
detection rate on the generated faces is reported separately (it does not separate good from bad: a mean face
is always found).
"""
import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

SIDE = 256
MATCH = 0.6


def _weights():
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None:
        raise SystemExit("face measures need the PyPI packages dlib-bin and face-recognition-models "
                         "(in requirements.txt: run scripts/deps.sh)")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


class FaceMeasure:
    """Loads the three dlib networks once; `measure(image)` → (box, landmarks [68, 2], descriptor [128])."""

    def __init__(self):
        import dlib
        w = _weights()
        self.dlib = dlib
        self.detector = dlib.cnn_face_detection_model_v1(str(w / "mmod_human_face_detector.dat"))
        self.landmarks = dlib.shape_predictor(str(w / "shape_predictor_68_face_landmarks.dat"))
        self.encoder = dlib.face_recognition_model_v1(str(w / "dlib_face_recognition_resnet_model_v1.dat"))

    @staticmethod
    def prepare(image_u8_rgb):
        img = np.asarray(image_u8_rgb, np.uint8)
        if img.shape[0] != SIDE:
            img = np.asarray(Image.fromarray(img).resize((SIDE, SIDE), Image.BICUBIC))
        return np.ascontiguousarray(img)

    def detect(self, img):
        found = self.detector(img, 0)
        if not found:
            return None
        best = max(found, key=lambda d: d.rect.width() * d.rect.height())
        return best.rect

    def measure(self, image_u8_rgb, box=None, detect=True):
        """(detected box or None, landmarks, descriptor); with `box`, landmarks and descriptor are taken there.

        The CNN detector is most of the cost (about 0.3–1.5 s an image on 2 busy cores): `detect=False` skips
        it when a box is given."""
        img = self.prepare(image_u8_rgb)
        found = self.detect(img) if detect or box is None else None
        use = box if box is not None else found
        if use is None:
            return None, None, None
        shape = self.landmarks(img, use)
        pts = np.array([(p.x, p.y) for p in shape.parts()], np.float64)
        desc = np.array(self.encoder.compute_face_descriptor(img, shape), np.float64)
        return found, pts, desc


def nme(pred, ref):
    return float(np.mean(np.linalg.norm(pred - ref, axis=1)) / np.linalg.norm(ref[36] - ref[45]))


def diversity(descs):
    d = np.stack(descs)
    dist = np.linalg.norm(d[:, None] - d[None], axis=-1)
    n = len(d)
    return float(dist[np.triu_indices(n, 1)].mean()) if n > 1 else 0.0


def luma(img):
    """Grey [H, W] float64 of an RGB u8 image (ITU-R BT.601 weights)."""
    return np.asarray(img, np.float64) @ np.array([0.299, 0.587, 0.114])


def grey256(img):
    return luma(FaceMeasure.prepare(img))


def high_frequency(grey, box_512):
    x, y, s = (v * SIDE // 512 for v in box_512)
    hf = (grey - ndimage.gaussian_filter(grey, 1.5)) ** 2
    return float(hf[y:y + s, x:x + s].mean())


def stamp_ratios(generated, photos, boxes):
    """{component: HF(mean generated) / HF(mean photo)} inside each part box (boxes on the 512 canvas)."""
    mg = np.mean([grey256(g) for g in generated], axis=0)
    mp = np.mean([grey256(p) for p in photos], axis=0)
    return {n: round(high_frequency(mg, b) / max(high_frequency(mp, b), 1e-9), 3) for n, b in boxes.items()}


def lattice_fraction(grey, period, block=32):
    """Mean over the `block`² blocks of a high-passed grey image of the energy share of its period-P pattern."""
    hp = grey - ndimage.gaussian_filter(grey, 1.0)
    h, w = (v - v % block for v in hp.shape)
    k = block // period
    b = hp[:h, :w].reshape(h // block, k, period, w // block, k, period)
    pattern = b.mean(axis=(1, 4), keepdims=True)
    pattern = pattern - pattern.mean(axis=(2, 5), keepdims=True)   # the block mean is no pattern
    locked = (pattern ** 2).sum(axis=(2, 5))[:, 0, :, 0] * k * k
    total = (b ** 2).sum(axis=(1, 2, 4, 5))
    return float(np.mean(locked / np.maximum(total, 1e-12)))


def lattice_report(generated, photos, periods=(2, 4, 8)):
    """{P<n>: {generated, photos, ratio}}: mean lattice fraction of faces and of their photos (same size, RGB u8)."""
    out = {}
    for p in periods:
        g = float(np.mean([lattice_fraction(luma(im), p) for im in generated]))
        r = float(np.mean([lattice_fraction(luma(im), p) for im in photos]))
        out[f"P{p}"] = {"generated": round(g, 4), "photos": round(r, 4), "ratio": round(g / max(r, 1e-12), 3)}
    return out


class Scorer:
    """Measures sets of generated faces against their photos (photo measures are computed once)."""

    def __init__(self, photos):
        self.fm = FaceMeasure()
        self.photos = [FaceMeasure.prepare(p) for p in photos]
        self.ref = [self.fm.measure(p) for p in self.photos]

    def score(self, generated, detect=False):
        """NME, identity match, diversity of generated faces (in photo order); `detect` adds the detection rate."""
        nmes, match, descs, detected = [], [], [], 0
        for img, (pbox, ppts, pdesc) in zip(generated, self.ref):
            if pbox is None:
                continue
            box, pts, desc = self.fm.measure(img, box=pbox, detect=detect)
            detected += box is not None
            nmes.append(nme(pts, ppts))
            match.append(np.linalg.norm(desc - pdesc) < MATCH)
            descs.append(desc)
        n = len(nmes)
        out = {"nme": round(float(np.mean(nmes)), 4), "identity_match": round(float(np.mean(match)), 4),
               "diversity": round(diversity(descs), 4), "pairs": n}
        if detect:
            out["detected"] = round(detected / max(n, 1), 4)
        return out

    def references(self):
        """The reference rows: real photos, photos blurred σ = 4 px (at 512; 2 px at 256), one mean face."""
        blurred = [np.stack([ndimage.gaussian_filter(p[..., c].astype(np.float64), 2.0) for c in range(3)], -1)
                   .round().clip(0, 255).astype(np.uint8) for p in self.photos]
        mean_face = np.mean(self.photos, axis=0).round().astype(np.uint8)
        photo_descs = [r[2] for r in self.ref if r[2] is not None]
        return {"real photos": {"diversity": round(diversity(photo_descs), 4)},
                "photos blurred 4 px": self.score(blurred),
                "one constant mean face": self.score([mean_face] * len(self.photos), detect=True)}

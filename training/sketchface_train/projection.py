"""Manifold projection and shadows (docs/MODEL_FORMAT.md, pipeline steps 2–5), the Python reference.

Computed in float64 so the reference is not the weak side of a parity test.
"""
import numpy as np


def knn(z, latents, k):
    """(ids [k] ascending by squared L2, squared distances [k]); ties go to the lower row index."""
    z = np.asarray(z, dtype=np.float64)
    d = ((np.asarray(latents, dtype=np.float64) - z) ** 2).sum(axis=1)
    order = np.lexsort((np.arange(len(d)), d))[:k]  # primary key d, then index
    return order.astype(np.int32), d[order]


def lle_weights(z, neighbours, reg):
    """Locally-linear reconstruction weights of z from its neighbours (rows), summing to 1.

    A latent equal to its nearest neighbour is already on the manifold: all weight goes to that row.
    """
    z = np.asarray(z, dtype=np.float64)
    d = np.asarray(neighbours, dtype=np.float64) - z
    if not d[0].any():
        return np.eye(len(d))[0]
    g = d @ d.T
    tr = np.trace(g)
    g = g + (reg * tr if tr > 0 else reg) * np.eye(len(g))
    w = np.linalg.solve(g, np.ones(len(g)))
    return w / w.sum()


def project(z, latents, k, reg, s=1.0):
    """(final latent, ids, weights, projected): final = s·projected + (1−s)·z."""
    ids, _ = knn(z, latents, k)
    nbrs = np.asarray(latents, dtype=np.float64)[ids]
    w = lle_weights(z, nbrs, reg)
    p = w @ nbrs
    final = s * p + (1.0 - s) * np.asarray(z, dtype=np.float64)
    return final, ids, w, p


def shadow(z, latents, crops, k):
    """Alpha [h, w] u8 of the inverse-distance blend of the k nearest crops' ink."""
    ids, d = knn(z, latents, k)
    v = 1.0 / (np.sqrt(d) + 1e-6)
    v = v / v.sum()
    ink = 255.0 - np.asarray(crops, dtype=np.float64)[ids]
    a = np.tensordot(v, ink, axes=1)
    return np.clip(np.floor(a + 0.5), 0, 255).astype(np.uint8)

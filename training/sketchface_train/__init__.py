"""SketchFace training pipeline: sketches, component embedding, feature mapping + synthesis, export."""

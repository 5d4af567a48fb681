"""Batch inpainting: a manifest of requests, run locally in processes or on Ray."""

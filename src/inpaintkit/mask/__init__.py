"""Mask tools: create masks from geometry, refine them, lint them."""

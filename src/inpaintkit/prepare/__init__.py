"""Preparing the work: region plans and canvas extension for outpainting."""

"""``inpaintkit batch``: many requests from a manifest or folders, resumable."""

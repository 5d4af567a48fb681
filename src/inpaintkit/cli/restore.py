"""``inpaintkit restore``: find the damage in an old photo and fill it."""

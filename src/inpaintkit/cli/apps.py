"""``inpaintkit remove | compose | replace``: the applications as one command each."""

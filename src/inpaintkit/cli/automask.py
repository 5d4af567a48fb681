"""``inpaintkit mask auto`` and ``inpaintkit models fetch``: masks without painting."""

"""Batch inpainting: a manifest of requests, run locally in processes or on Ray.

Modules (nothing is imported here, so ``import inpaintkit.batch`` stays light):

* :mod:`.manifest`: rows from a JSON Lines / CSV manifest or two folders, validated
  (``Row``, ``RowError``, ``read_manifest``, ``rows_from_folders``);
* :mod:`.work`: one row's work, the same in every runner (``process_row``, ``is_done``,
  ``RowOutcome``): skip when done, else run and write atomically with the recipe;
* :mod:`.local`: ``run_local``, in this process or in spawned worker processes;
* :mod:`.ray_runner`: ``run_on_ray`` (needs ``inpaintkit[distributed]``);
* :mod:`.report`: events, errors.jsonl, the summary and exit code of every runner;
* :mod:`.check`: ``--check``'s mask lint; :mod:`.storage`: local paths and fsspec URIs.

docs/batch.md describes the command, the manifest and the resume rules.
"""

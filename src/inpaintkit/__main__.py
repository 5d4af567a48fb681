"""``python -m inpaintkit`` runs the command line."""

if __name__ == "__main__":
    from inpaintkit.cli import main

    main()

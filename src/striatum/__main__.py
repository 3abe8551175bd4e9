"""`python -m striatum`: the same CLI as the `striatum` console script."""

from striatum.cli.entry import main

if __name__ == "__main__":
    main()

"""`python -m duelo ...` runs the CLI (also the form `torchrun -m duelo train` will use)."""
import sys

from duelo.cli.main import main

sys.exit(main())

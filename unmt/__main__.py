"""`python -m unmt ...` (and `torchrun -m unmt ...`) runs the `unmt` command."""
import sys

from unmt.cli import main

sys.exit(main())

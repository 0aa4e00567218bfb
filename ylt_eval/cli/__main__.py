"""``python -m ylt_eval.cli`` runs the command line."""

from ylt_eval.cli import main

raise SystemExit(main())

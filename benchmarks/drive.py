"""Run the CLI in-process, for profilers: pyinstrument benchmarks/drive.py compile --root DIR."""
import sys
from streamconf.cli import main
main()

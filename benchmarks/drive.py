"""Run the CLI in-process, for profilers: pyinstrument benchmarks/drive.py compile --root DIR."""
from streamconf.cli import main
main()

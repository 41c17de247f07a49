#!/usr/bin/env python3
# Runs a command and checks its exit status: exit_code.py STATUS CMD [ARGS...]
# Forwards the command's stdout and stderr (both to stdout, for FileCheck)
# and exits 0 when the status is STATUS, else prints it and exits 1; lit's
# `not` only checks for non-zero.
import subprocess
import sys

want = int(sys.argv[1])
proc = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE,
                      stderr=subprocess.STDOUT)
sys.stdout.write(proc.stdout.decode(errors="replace"))
if proc.returncode != want:
    print("exit_code.py: exit status %d, expected %d" % (proc.returncode, want))
    sys.exit(1)

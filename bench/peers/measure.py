"""`python measure.py USAGE_FILE COMMAND...`: run COMMAND and write its CPU seconds and peak RSS.

A process's peak RSS counts what its parent held when it forked it (Linux keeps the high-water
mark across exec), so a child of the benchmark would carry the benchmark's own memory. This
launcher is small, starts the command itself and reads the command's own figures from wait4."""

import json
import os
import subprocess
import sys

proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_kib": usage.ru_maxrss}, out)
sys.exit(os.waitstatus_to_exitcode(status))

#!/usr/bin/python3
"""Runs a command under the system call filter a systemd unit declares (SystemCallFilter= lines,
SystemCallArchitectures=native), the way systemd applies it: the allowed sets expanded with
`systemd-analyze syscall-filter`, the ~ lines removed from them, anything else kills the process
(SIGSYS) unless SystemCallErrorNumber= is set. Used by check-deploy-files.sh to prove the JVM and
sscmic start and run under the units' filter, without systemd as PID 1.

Usage: unit-seccomp.py UNIT_FILE -- COMMAND...   (needs Debian's python3-seccomp)
"""
import errno
import os
import re
import subprocess
import sys

import seccomp


def expand(name, seen=None):
    """The system calls of a set (@name, recursively) or the call itself."""
    if not name.startswith("@"):
        return {name}
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    out = subprocess.run(["systemd-analyze", "syscall-filter", name], check=True, capture_output=True, text=True).stdout
    calls = set()
    for line in out.splitlines()[1:]:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        calls |= expand(line, seen)
    return calls


def main():
    unit, sep, command = sys.argv[1], sys.argv[2], sys.argv[3:]
    assert sep == "--" and command, __doc__
    allow, deny, error = None, set(), None
    for line in open(unit, encoding="utf-8"):
        m = re.match(r"^SystemCallFilter=(~?)(.*)$", line.strip())
        if m:
            names = set()
            for n in m.group(2).split():
                names |= expand(n)
            if m.group(1):
                deny |= names
            else:
                allow = (allow or set()) | names
        m = re.match(r"^SystemCallErrorNumber=(\w+)$", line.strip())
        if m:
            error = getattr(errno, m.group(1))
    if allow is None:
        sys.exit("no SystemCallFilter= allow list in " + unit)
    # Calls named by systemd that this kernel or libseccomp does not know are skipped, as systemd does.
    default = seccomp.ERRNO(error) if error else seccomp.KILL_PROCESS
    f = seccomp.SyscallFilter(defaction=default)
    allowed = 0
    for call in sorted(allow - deny):
        try:
            f.add_rule(seccomp.ALLOW, call)
            allowed += 1
        except (RuntimeError, ValueError, OSError):
            pass
    print(f"unit-seccomp: {allowed} system calls allowed, {len(deny & allow)} removed by ~ lines, "
          f"others {'fail with ' + errno.errorcode[error] if error else 'kill the process'}", file=sys.stderr)
    f.load()
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()

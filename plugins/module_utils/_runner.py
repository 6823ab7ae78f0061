# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to run the cluster's command-line tools from a module.

Every command is an argv list (never a shell string) and runs with LC_ALL=C so that its
output parses the same on every host. Modules record what they ran in ``commands``.
"""

from __future__ import annotations

C_LOCALE = {"LC_ALL": "C", "LANG": "C", "LANGUAGE": "C"}


class CommandError(RuntimeError):
    """A command exited non-zero; carries the argv and both outputs."""

    def __init__(self, argv, rc, stdout, stderr):
        self.argv = list(argv)
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        detail = (stderr or stdout or "").strip().splitlines()
        super().__init__(f"{' '.join(self.argv)} exited {rc}: {detail[-1] if detail else 'no output'}")


class Runner:
    """Wraps ``AnsibleModule.run_command`` with argv checks, C locale and a log."""

    def __init__(self, module):
        self.module = module
        self.commands = []

    def which(self, name, required=True):
        return self.module.get_bin_path(name, required=required)

    def run(self, argv, check=True, data=None):
        if isinstance(argv, str) or not all(isinstance(a, str) for a in argv):
            raise TypeError("commands are argv lists of strings")
        self.commands.append(list(argv))
        rc, out, err = self.module.run_command(argv, data=data, environ_update=C_LOCALE, check_rc=False)
        if check and rc != 0:
            raise CommandError(argv, rc, out, err)
        return rc, out, err

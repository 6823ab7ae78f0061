#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: platform_check
short_description: Fail early when a host is not a platform the calling role supports
version_added: 0.1.0
description:
  - The first task of every role of the collection. It compares the host's distribution and
    major version with the platforms the role declares and fails, naming the host's platform and
    the supported ones, before the role changes anything.
  - A role declares its platforms in its per-OS-family variables files C(vars/<os_family>.yml)
    (for example C(vars/Debian.yml)), under the key C(__<role>_platform) (C(__cluster_platform)) - the distributions of
    that family, each with the list of its supported major versions (C(Debian) with C("12")). The same
    file holds the family's package names, service names and paths, which the role then reads
    with M(ansible.builtin.include_vars). Supporting another family is one more file.
  - Uses the facts the play gathered; when there are none it gathers the minimal subset itself
    and returns it as facts, so the next task can use C(ansible_facts['os_family']).
author:
  - failover.cluster developers (@failover-cluster)
extends_documentation_fragment:
  - failover.cluster.attributes
  - failover.cluster.attributes.INFO_MODULE
attributes:
  action:
    support: full
    description: Runs as an action plugin; the facts are gathered on the host only when missing.
options:
  vars_dir:
    description:
      - Directory of the per-OS-family variables files. Default - the C(vars) directory of the role
        the task belongs to.
    type: path
  name:
    description:
      - Name used in the message. Default - the calling role's name.
    type: str
"""

EXAMPLES = r"""
# The first tasks of a role (tasks/main.yml) with vars/Debian.yml beside them.
- name: Check the platform
  failover.cluster.platform_check:

- name: Read the platform's package and service names
  ansible.builtin.include_vars: "{{ ansible_facts['os_family'] }}.yml"
"""

RETURN = r"""
platform:
  description: The host's platform as the check saw it.
  returned: always
  type: dict
  sample:
    distribution: Debian
    distribution_version: "12.8"
    distribution_major_version: "12"
    os_family: Debian
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec={
            "vars_dir": {"type": "path"},
            "name": {"type": "str"},
        },
        supports_check_mode=True,
    )
    module.fail_json(msg="failover.cluster.platform_check runs on the controller as an action plugin")


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: failover.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: authkey
short_description: Create or install the cluster's shared secret key (corosync authkey)
version_added: 0.1.0
description:
  - Every node of a Corosync cluster encrypts and signs its traffic with the same secret
    key. This module creates that key on one node (random bytes from the kernel) or
    installs a given key on a node, as a file of mode 0400 owned by root.
  - The key never appears in the module's output, in logs or in the diff - only a SHA-256
    fingerprint of it, so that operators can compare nodes.
author:
  - failover.cluster developers (@failover-cluster)
extends_documentation_fragment:
  - failover.cluster.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
    details:
      - The key is a secret; only its fingerprint is returned.
options:
  path:
    description: Where Corosync reads the key.
    type: path
    default: /etc/corosync/authkey
  content_b64:
    description:
      - The key, base64-encoded (as M(ansible.builtin.slurp) returns it from the node that
        holds it). Mutually exclusive with O(generate).
    type: str
  generate:
    description:
      - Create a new random key of O(size) bytes when the file does not exist. An existing
        key is kept.
    type: bool
    default: false
  size:
    description: Size in bytes of a generated key (Corosync accepts 128 to 4096).
    type: int
    default: 256
"""

EXAMPLES = r"""
- name: Create the key once, on the first node
  failover.cluster.authkey:
    generate: true
  run_once: true

- name: Read it (never logged)
  ansible.builtin.slurp:
    src: /etc/corosync/authkey
  register: key
  no_log: true
  run_once: true

- name: Install it on every node
  failover.cluster.authkey:
    content_b64: "{{ key.content }}"
"""

RETURN = r"""
fingerprint:
  description: SHA-256 of the key on the node after the task (null when there is none in check mode).
  returned: always
  type: str
"""

import base64
import binascii
import hashlib
import os

from ansible.module_utils.basic import AnsibleModule

MIN_SIZE = 128
MAX_SIZE = 4096


def fingerprint(data):
    return hashlib.sha256(data).hexdigest()


def write_key(module, path, data):
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o755, exist_ok=True)
    tmp = os.path.join(directory, f".{os.path.basename(path)}.failover-cluster.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o400)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o400)
    module.atomic_move(tmp, path)
    os.chmod(path, 0o400)
    os.chown(path, 0, 0)


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "default": "/etc/corosync/authkey"},
            "content_b64": {"type": "str", "no_log": True},
            "generate": {"type": "bool", "default": False},
            "size": {"type": "int", "default": 256},
        },
        mutually_exclusive=[("content_b64", "generate")],
        required_one_of=[("content_b64", "generate")],
        supports_check_mode=True,
    )
    path = module.params["path"]
    size = module.params["size"]
    if not MIN_SIZE <= size <= MAX_SIZE:
        module.fail_json(msg=f"size: {size} is outside {MIN_SIZE}..{MAX_SIZE} bytes, the key sizes Corosync accepts")
    current = None
    if os.path.exists(path):
        with open(path, "rb") as handle:
            current = handle.read()
    if module.params["generate"]:
        if current is not None:
            mode = os.stat(path).st_mode & 0o777
            changed = mode != 0o400
            if changed and not module.check_mode:
                os.chmod(path, 0o400)
            module.exit_json(changed=changed, fingerprint=fingerprint(current))
        if module.check_mode:
            module.exit_json(changed=True, fingerprint=None)
        data = os.urandom(size)
        write_key(module, path, data)
        module.exit_json(changed=True, fingerprint=fingerprint(data))
    try:
        data = base64.b64decode(module.params["content_b64"], validate=True)
    except (binascii.Error, ValueError):
        module.fail_json(msg="content_b64: is not valid base64")
    if not MIN_SIZE <= len(data) <= MAX_SIZE:
        module.fail_json(msg=f"content_b64: the key has {len(data)} bytes, Corosync accepts {MIN_SIZE} to {MAX_SIZE}")
    mode_ok = current is not None and (os.stat(path).st_mode & 0o777) == 0o400
    if current == data and mode_ok:
        module.exit_json(changed=False, fingerprint=fingerprint(data))
    if not module.check_mode:
        write_key(module, path, data)
    module.exit_json(changed=True, fingerprint=fingerprint(data))


if __name__ == "__main__":
    main()

"""Pure model of failover.cluster: specs, validation and compilation (no I/O).

Modules of this package:

- ``errors``   SpecError (all violations at once), CompileError
- ``cluster``  cluster spec -> Cluster (+ warnings); Pacemaker cluster properties
- ``corosync`` corosync.conf render / parse / classify_change; qnetd plan
- ``package``  package specs -> Package objects, validated against a Cluster
- ``cib``      packages -> CIB XML; merge into a live CIB; changed_objects
"""

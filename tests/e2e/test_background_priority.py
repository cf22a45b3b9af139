"""The dev stack's CPU priorities: the background worker yields the cores to request-serving processes."""

import os

from shared.devstack.supervisor import Supervisor


def test_notifications_runs_on_idle_cpu_and_the_request_paths_at_normal_priority(system: Supervisor):
    policies = {name: os.sched_getscheduler(process.pid) for name, process in system.processes.items()}
    assert policies.pop("notifications") == os.SCHED_IDLE
    assert policies
    assert set(policies.values()) == {os.SCHED_OTHER}, policies

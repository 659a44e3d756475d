"""Pod monitor: a listener that puts each test's pod logs into its results.

``robot --listener libraries.pod_monitor.PodMonitor robot/`` follows every pod's log
in the namespace (one watch, one follower per pod), keeps the lines with timestamps
in bounded per-pod buffers, and at the end of each test writes the test's lines to
``<outputdir>/pod_logs/<suite>/<test>/<pod>.log`` and into log.html (collapsed per
pod, error lines highlighted). See :class:`PodMonitor` for the options.
"""

from libraries.pod_monitor.listener import PodMonitor

__all__ = ["PodMonitor"]

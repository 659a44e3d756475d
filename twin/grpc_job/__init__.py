"""The per-task gRPC job of the twin (``focus-server-grpc-<task_id>``).

``python -m twin.grpc_job --task-id ID --port P`` serves, on 127.0.0.1:P, the standard
``grpc.health.v1`` Health service and ``focus.v1.Stream/Frames``: a unary-stream
method with JSON-bytes messages (no ``.proto`` compilation) yielding the task's
waterfall rows computed from :mod:`twin.fibre_data`. The task configuration arrives in
the ``FOCUS_TASK_CONFIG`` environment variable (JSON); it carries no secrets.
"""

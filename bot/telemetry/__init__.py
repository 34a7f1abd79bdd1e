"""What the service tells its operator: Prometheus metrics (``metrics``) and JSON log lines (``logs``)."""

"""``texrender serve``: one process or N on shared sockets, Hypercorn's Trio worker, the drain on
SIGTERM that a load balancer understands, and logging off the event loop."""

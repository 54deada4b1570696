"""infractl: the project's command line (offline plan, policy gate, operations tooling)."""

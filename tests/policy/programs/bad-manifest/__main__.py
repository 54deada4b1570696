"""Never run: Pulumi.yaml above it is not valid YAML."""

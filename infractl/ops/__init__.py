"""Operations commands (``shift``, ``release``, ``backups``, ``failover``, ``bootstrap-backend``) that act on AWS.

They read what they need from stack outputs or flags and use boto3's standard configuration
(profiles, regions, ``AWS_ENDPOINT_URL``), so the same code runs against AWS or a local endpoint.
"""

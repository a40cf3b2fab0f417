"""Being written by a second h1 session (see /tmp/h1-coordination.md); please do not edit."""

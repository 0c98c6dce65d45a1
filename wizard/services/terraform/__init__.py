"""Terraform/OpenTofu: finding the binary, provider mirrors, running and parsing `-json` output."""

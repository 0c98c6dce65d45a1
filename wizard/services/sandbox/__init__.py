"""The embedded AWS sandbox: moto in server mode on 127.0.0.1, plus small shims and extensions
for what the real provider and cdwizard need that moto lacks."""

"""The Textual front end. It composes screens and widgets and starts workers; all logic lives in
`wizard.core` and `wizard.services`."""

"""Thin Discord adapters: parse the interaction, call the core, render the answer."""

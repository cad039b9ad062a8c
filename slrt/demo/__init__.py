"""The demo: seeds a district through every app's services, and the synthetic registry generator."""

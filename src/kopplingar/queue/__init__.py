"""The case queue: cases, their states and the workers that process them."""

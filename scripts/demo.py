#!/usr/bin/env python3
"""Demo placeholder."""

"""Web pages: consent links, and later the review desk and bureau pages."""

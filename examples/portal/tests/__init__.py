"""The portal's tests: its pages and API in-process, and end to end in headless Chromium."""

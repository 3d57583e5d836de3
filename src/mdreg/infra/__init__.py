"""基础设施 — mechanisms the layers above share: serialization, ID protection, password and
code hashing, photo storage, limits, the retry rule and the command log. They know the domain,
nothing above it."""

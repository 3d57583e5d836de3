"""基础设施 — mechanisms the layers above share: serialization, ID protection, password and
code hashing, photo storage, limits and the retry rule. They know the domain, nothing above it."""

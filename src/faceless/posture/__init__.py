"""``faceless security-check``: a measured security posture, every point backed by evidence.

Design:

- Each check is a small function over what was seen on the wire (or, with ``--local``,
  on the server's host) that returns a :class:`~faceless.posture.model.CheckResult`:
  pass, warn, fail or skip, the points earned and the evidence, in words an operator
  can verify by hand. Weights live in one table, :mod:`faceless.posture.weights`.
- The score is the points earned over the points available (skipped checks are not
  available), so a remote-only run is not punished for what it cannot see.
- Sub-grades follow published algorithms, reproduced, not approximated: the MDN HTTP
  Observatory (``observatory``, tested against the npm engine itself) and the SSL Labs
  rating guide (``tls_rating``).
- Probing is bounded and polite: one raw HTTP/1.1 client (``wire``) sends every request,
  counts them against a fixed budget, never reuses a connection, and refuses any host
  but the target's, so a redirect elsewhere is recorded and never followed. Login
  probes use random usernames that cannot exist, so no real account is ever locked.
- Nothing here prints a secret: local checks name secrets and reasons, never values.
"""

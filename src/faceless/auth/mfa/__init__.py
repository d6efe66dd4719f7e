"""Multi-factor sign-in: TOTP enrollment, the second sign-in step, recovery codes."""

"""Two-factor sign-in (issue 7): an authenticator app (TOTP) and single-use backup codes, on django-otp.

With settings.REQUIRE_2FA on, a password is only the first step: `middleware.RequireTwoFactorMiddleware`
sends a signed-in user who has not yet given a code to enrol (`views.enrol`) or to verify
(`views.verify`) before any other page. Exports and new API tokens ask for a code again when the last
one is older than settings.CASEWORK_2FA_FRESH_MINUTES (`step_up.require_fresh_verification`). An
organisation administrator resets a colleague's device (`views.reset`); they enrol again at their next
sign-in. The API's tokens are a factor of their own and are not asked for a code.
"""

"""django-otp's device admins are not offered: they would show a device's secret key and let anyone with
Django's model permissions add a device for someone else. Devices are enrolled by their owner
(/accounts/2fa/setup/) and reset through the access module's rule (/accounts/2fa/reset/<id>/), linked from
the user's change page in the admin.
"""

from django.contrib import admin
from django_otp.plugins.otp_static import admin as static_admin  # noqa: F401 - registers, to be removed
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp import admin as totp_admin  # noqa: F401 - registers, to be removed
from django_otp.plugins.otp_totp.models import TOTPDevice

for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

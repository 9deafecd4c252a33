"""The roles of DESIGN.md as Django groups, and the permissions each one has.

Views and API operations check permissions, never role names."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    MARKETING = "marketing", _("Marketing")
    PRIVACY_OFFICER = "privacy_officer", _("Privacy officer")
    ADMINISTRATOR = "administrator", _("Administrator")
    AUDITOR = "auditor", _("Auditor")


# Roles that open identity codes or the audit trail: granting one takes a privacy
# officer's confirmation (accounts.services.role_grant_decide), and an administrator
# cannot set the password or reset the two-factor sign-in of someone who has one.
CONFIRMED_ROLES = frozenset({Role.PRIVACY_OFFICER, Role.AUDITOR})

ORDER_PERMISSIONS = (
    "credit.override_creditcheck",
    "orders.view_order",
    "orders.add_order",
    "orders.change_order",
    "orders.view_product",
    "orders.add_product",
    "orders.change_product",
)

CONSENT_PERMISSIONS = (
    "consents.view_consentevent",
    "consents.add_consentevent",
)

PRIVACY_PERMISSIONS = (
    "privacy.view_subjectrequest",
    "privacy.add_subjectrequest",
    "privacy.change_subjectrequest",
    "privacy.erase_customer",
    "privacy.view_disclosure",
    "privacy.add_disclosure",
    "privacy.view_legalhold",
    "privacy.add_legalhold",
    "privacy.change_legalhold",
    "privacy.view_retentionpolicy",
    "privacy.change_retentionpolicy",
    "privacy.run_retention",
    "privacy.view_registerdescription",
    "privacy.add_registerdescription",
    "privacy.view_breach",
    "privacy.add_breach",
    "privacy.change_breach",
)

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.CUSTOMER_SERVICE: (
        "customers.view_customer",
        "customers.add_customer",
        "customers.change_customer",
        *ORDER_PERMISSIONS,
        *CONSENT_PERMISSIONS,
        # Customer service records a request received by phone or email.
        "privacy.view_subjectrequest",
        "privacy.add_subjectrequest",
        # The shops' deliveries that wait for a person.
        "intake.handle_deliveries",
    ),
    Role.MARKETING: (
        "marketing.view_targetgroup",
        "marketing.add_targetgroup",
        "marketing.change_targetgroup",
        "marketing.export_targetgroup",
        "marketing.view_campaign",
        "marketing.add_campaign",
        "marketing.change_campaign",
        "marketing.send_campaign",
        "marketing.view_restrictionlist",
        "marketing.add_restrictionlist",
    ),
    Role.PRIVACY_OFFICER: (
        "customers.view_customer",
        "customers.add_customer",
        "customers.change_customer",
        "customers.reveal_identity_code",
        "audit.view_auditevent",
        "accounts.decide_rolegrant",
        "marketing.view_targetgroup",
        "marketing.view_campaign",
        "marketing.view_restrictionlist",
        *ORDER_PERMISSIONS,
        *CONSENT_PERMISSIONS,
        *PRIVACY_PERMISSIONS,
    ),
    Role.ADMINISTRATOR: (
        "accounts.manage_staff",
        "intake.manage_integrations",
        "intake.handle_deliveries",
        "credit.change_creditpolicy",
        "backups.view_backuprun",
    ),
    # The auditor reads the records of processing (generated from the description).
    Role.AUDITOR: ("audit.view_auditevent", "privacy.view_registerdescription"),
}

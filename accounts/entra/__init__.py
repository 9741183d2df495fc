"""Sign in with Microsoft (Entra ID) for staff: an allauth OpenID Connect provider for
Entra's multi-tenant endpoints (docs/decisions/0710-staff-accounts-allauth.md)."""
